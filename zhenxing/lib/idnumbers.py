"""Chinese resident ID numbers (公民身份号码, GB 11643-1999).

An 18-character number is laid out as::

    RRRRRR YYYYMMDD SSS C
    地址码  出生日期   顺序码 校验码

* ``R`` — 6-digit administrative region code (GB/T 2260) of the place of first registration;
* ``YYYYMMDD`` — date of birth;
* ``SSS`` — sequence number, odd for men and even for women;
* ``C`` — ISO 7064 MOD 11-2 check character, a digit or ``X``.

All functions here are pure; none touches the database.  ``validate`` is the one place
that decides whether a number is acceptable; the other helpers call it and therefore
raise :class:`InvalidIdNumber` for numbers it rejects.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

__all__ = [
    "InvalidIdNumber",
    "age_on",
    "birth_date",
    "check_digit",
    "is_valid",
    "make",
    "mask",
    "normalize",
    "sex",
    "validate",
]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# First two digits of the region code: provinces, autonomous regions and municipalities (GB/T 2260),
# plus 71 台湾, 81 香港, 82 澳门.
PROVINCE_CODES = frozenset(
    [f"{n}" for n in range(11, 16)]
    + [f"{n}" for n in range(21, 24)]
    + [f"{n}" for n in range(31, 38)]
    + [f"{n}" for n in range(41, 47)]
    + [f"{n}" for n in range(50, 55)]
    + [f"{n}" for n in range(61, 66)]
    + ["71", "81", "82"]
)

EARLIEST_BIRTH = datetime.date(1900, 1, 1)

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
# 残疾人证号: the holder's 18-character ID number followed by 2 digits (category and grade)
# or, in older cards, 4 digits.
_DISABILITY_CARD = re.compile(r"([0-9]{17}[0-9Xx])(?:[0-9]{2}|[0-9]{4})")
_MOBILE = re.compile(r"1[0-9]{10}")


class InvalidIdNumber(ValueError):
    """Raised by :func:`validate` (and the helpers built on it).

    ``str(exc)`` is a Chinese message for the user saying what is wrong and what to fix.
    """


def _clean_once(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).translate(_INVISIBLE)
    s = "".join(s.split())  # removes every kind of whitespace, including U+3000 全角空格
    if len(s) >= 3 and s.startswith('="') and s.endswith('"'):
        s = s[2:-1]  # Excel text formula ="110105…"
    if s.startswith("'"):
        s = s[1:]  # Excel "treat as text" apostrophe
    return s


def normalize(raw: str) -> str:
    """Return ``raw`` tidied up the way people paste ID numbers from spreadsheets.

    * full-width characters become ASCII (NFKC), so ``１１０…ｘ`` works;
    * all whitespace (including full-width spaces) and zero-width characters are removed;
    * Excel text quoting ``="…"`` and a leading apostrophe ``'`` are removed;
    * a 20- or 22-character 残疾人证 number (18-character ID + 2 or 4 digits) is cut to its
      first 18 characters;
    * a trailing lowercase ``x`` becomes ``X``.

    It never raises and never judges validity (that is :func:`validate`'s job).
    ``normalize(normalize(s)) == normalize(s)`` for every string.
    """
    s = raw
    while True:
        cleaned = _clean_once(s)
        if cleaned == s:
            break
        s = cleaned
    m = _DISABILITY_CARD.fullmatch(s)
    if m:
        s = m.group(1)
    if s.endswith("x"):
        s = s[:-1] + "X"
    return s


def check_digit(first17: str) -> str:
    """Return the check character (``0``–``9`` or ``X``) for the first 17 digits.

    Raises ``ValueError`` unless ``first17`` is exactly 17 ASCII digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("first17 must be exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def validate(raw: str, *, today: datetime.date | None = None) -> str:
    """Return the normalized 18-character number, or raise :class:`InvalidIdNumber`.

    Checks, in this order: not empty; 18 characters long; 17 digits followed by a digit or ``X``;
    a valid region code (province code from GB/T 2260, not ``000000``); a real date of birth
    between 1900-01-01 and ``today`` (default: ``datetime.date.today()``); the check character.
    The message of the first failed check is a Chinese sentence saying what is wrong and
    what to fix.
    """
    s = normalize(raw)
    if not s:
        raise InvalidIdNumber("未填写公民身份号码，请填写18位公民身份号码")
    if len(s) != 18:
        hint = "，如为15位旧号码请改填18位新号码" if len(s) == 15 else ""
        raise InvalidIdNumber(f"公民身份号码应为18位，当前为{len(s)}位，请核对是否多输或漏输{hint}")
    for position, c in enumerate(s[:17], start=1):
        if not ("0" <= c <= "9"):
            raise InvalidIdNumber(f"公民身份号码第{position}位“{c}”不是数字，前17位只能是数字，请核对")
    if not ("0" <= s[17] <= "9" or s[17] == "X"):
        raise InvalidIdNumber(f"公民身份号码最后一位“{s[17]}”无效，最后一位只能是数字或X，请核对")

    region = s[:6]
    if region == "000000" or region[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber(
            f"公民身份号码前6位地址码“{region}”无效（“{region[:2]}”不是省级行政区划代码），请核对前6位"
        )

    digits = s[6:14]
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidIdNumber(
            f"公民身份号码第7–14位出生日期“{digits}”不是真实存在的日期，请核对出生年月日"
        ) from None
    if today is None:
        today = datetime.date.today()
    if born > today:
        raise InvalidIdNumber(
            f"公民身份号码中的出生日期{born.year}年{born.month}月{born.day}日晚于今天，请核对第7–14位"
        )
    if born < EARLIEST_BIRTH:
        raise InvalidIdNumber(
            f"公民身份号码中的出生日期{born.year}年{born.month}月{born.day}日早于1900年1月1日，请核对第7–14位"
        )

    expected = check_digit(s[:17])
    if s[17] != expected:
        raise InvalidIdNumber(
            f"公民身份号码校验码错误，应为{expected}（当前为{s[17]}），请核对是否有抄错的数字"
        )
    return s


def is_valid(raw: str, *, today: datetime.date | None = None) -> bool:
    """Return whether :func:`validate` accepts ``raw``."""
    try:
        validate(raw, today=today)
    except InvalidIdNumber:
        return False
    return True


def birth_date(id_number: str) -> datetime.date:
    """Date of birth encoded in a valid number (raises :class:`InvalidIdNumber` otherwise)."""
    s = validate(id_number)
    return datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def sex(id_number: str) -> str:
    """``"男"`` if the 17th digit is odd, ``"女"`` if even (raises :class:`InvalidIdNumber` if invalid)."""
    s = validate(id_number)
    return "男" if int(s[16]) % 2 == 1 else "女"


def age_on(id_number: str, on: datetime.date) -> int:
    """Age in full years on date ``on``.

    The age goes up on the birthday itself; someone born on 29 February turns a year older on
    1 March in common years.  Raises ``ValueError`` if ``on`` is before the date of birth and
    :class:`InvalidIdNumber` if the number is invalid.
    """
    born = birth_date(id_number)
    if on < born:
        raise ValueError("on must not be before the date of birth")
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def mask(value: str | None) -> str:
    """Mask a personal number for display.

    * 18-character ID number: first 6 and last 4 kept — ``110105********002X``;
    * 11-digit mobile number starting with 1: ``138****5678``;
    * anything else: first 2 and last 2 characters kept, the middle starred;
      strings of 4 characters or fewer become all stars.

    Surrounding whitespace is ignored; ``None`` and blank strings give ``""``.
    """
    if not value:
        return ""
    s = value.strip()
    if not s:
        return ""
    if _ID18.fullmatch(s.upper()):
        return s[:6] + "*" * 8 + s[-4:]
    if _MOBILE.fullmatch(s):
        return s[:3] + "****" + s[-4:]
    if len(s) <= 4:
        return "*" * len(s)
    return s[:2] + "*" * (len(s) - 4) + s[-2:]


def make(region: str, birth: datetime.date, sequence: int) -> str:
    """Build an 18-character number with a correct check character.

    ``region`` is a 6-digit region code whose first two digits are a province code;
    ``sequence`` is 0–999 (odd for 男, even for 女).  Raises ``ValueError`` for a bad region,
    sequence or a birth date before 1900-01-01.  The result passes :func:`validate` as long as
    ``birth`` is not after today.  Used by the demo data generator and by tests.
    """
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError("region must be 6 ASCII digits")
    if region == "000000" or region[:2] not in PROVINCE_CODES:
        raise ValueError(f"region {region!r} does not start with a province code")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be between 0 and 999")
    if birth < EARLIEST_BIRTH:
        raise ValueError("birth must not be before 1900-01-01")
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + check_digit(first17)
