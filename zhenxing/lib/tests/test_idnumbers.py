import datetime

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from zhenxing.lib import idnumbers
from zhenxing.lib.idnumbers import InvalidIdNumber

EXAMPLE = "11010519491231002X"
TODAY = datetime.date(2025, 6, 1)

hypothesis_settings = hsettings(database=None, max_examples=300, deadline=None)

PROVINCES = sorted(idnumbers.PROVINCE_CODES)
regions = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(PROVINCES),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date.today())
sequences = st.integers(min_value=0, max_value=999)
valid_numbers = st.builds(idnumbers.make, regions, births, sequences)


# --- normalize -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("  110105 19491231 002X ", "11010519491231002X"),
        ("\u3000110105\u300019491231002X\u3000", "11010519491231002X"),
        ("\t110105194912310\n02x", "11010519491231002X"),
        ('="11010519491231002X"', "11010519491231002X"),
        ('="11010519491231002x"', "11010519491231002X"),
        ("'11010519491231002X", "11010519491231002X"),
        ("'11010519491231002x ", "11010519491231002X"),
        ("\ufeff11010519491231002X", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("11010519491231002X12", "11010519491231002X"),
        ("11010519491231002x12", "11010519491231002X"),
        ("11010519491231002X1234", "11010519491231002X"),
        ("110105194912310021 12", "110105194912310021"),
        ("11010519491231002X123", "11010519491231002X123"),
        ("", ""),
        ("   ", ""),
        ("abc x", "abcX"),
    ],
)
def test_normalize(raw, expected):
    assert idnumbers.normalize(raw) == expected


@hypothesis_settings
@given(st.text())
def test_normalize_is_idempotent_on_any_text(raw):
    once = idnumbers.normalize(raw)
    assert idnumbers.normalize(once) == once


@hypothesis_settings
@given(
    st.text(alphabet="0123456789xX '=\"\u3000", max_size=30),
)
def test_normalize_is_idempotent_on_id_like_text(raw):
    once = idnumbers.normalize(raw)
    assert idnumbers.normalize(once) == once


# --- check_digit ------------------------------------------------------------------------------


def test_check_digit_known_values():
    assert idnumbers.check_digit("11010519491231002") == "X"
    assert idnumbers.check_digit("42070419900101123") == "1"
    assert idnumbers.check_digit("00000000000000000") == "1"


@pytest.mark.parametrize(
    "bad",
    ["", "1101051949123100", "110105194912310021", "1101051949123100A", "１１０１０５１９４９１２３１００２"],
)
def test_check_digit_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        idnumbers.check_digit(bad)


# --- validate ---------------------------------------------------------------------------------


def test_validate_known_example():
    assert idnumbers.validate(EXAMPLE) == EXAMPLE
    assert idnumbers.validate(" '11010519491231002x ") == EXAMPLE
    assert idnumbers.is_valid(EXAMPLE) is True


def test_validate_disability_card_number():
    assert idnumbers.validate("11010519491231002X12") == EXAMPLE
    assert idnumbers.validate("11010519491231002X1234") == EXAMPLE


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "未填写公民身份号码，请填写18位公民身份号码"),
        ("   ", "未填写公民身份号码，请填写18位公民身份号码"),
        ("1101051949123100", "公民身份号码应为18位，当前为16位，请核对是否多输或漏输"),
        ("11010519491231002X1", "公民身份号码应为18位，当前为19位，请核对是否多输或漏输"),
        (
            "110105491231002",
            "公民身份号码应为18位，当前为15位，请核对是否多输或漏输，如为15位旧号码请改填18位新号码",
        ),
        ("11010519491231A02X", "公民身份号码第15位“A”不是数字，前17位只能是数字，请核对"),
        ("X10105194912310021", "公民身份号码第1位“X”不是数字，前17位只能是数字，请核对"),
        ("11010519491231002Y", "公民身份号码最后一位“Y”无效，最后一位只能是数字或X，请核对"),
        (
            "000000194912310021",
            "公民身份号码前6位地址码“000000”无效（“00”不是省级行政区划代码），请核对前6位",
        ),
        (
            "990105194912310021",
            "公民身份号码前6位地址码“990105”无效（“99”不是省级行政区划代码），请核对前6位",
        ),
        (
            "160105194912310021",
            "公民身份号码前6位地址码“160105”无效（“16”不是省级行政区划代码），请核对前6位",
        ),
        (
            "110105194902300021",
            "公民身份号码第7–14位出生日期“19490230”不是真实存在的日期，请核对出生年月日",
        ),
        (
            "110105194913010021",
            "公民身份号码第7–14位出生日期“19491301”不是真实存在的日期，请核对出生年月日",
        ),
        (
            "110105000001010021",
            "公民身份号码第7–14位出生日期“00000101”不是真实存在的日期，请核对出生年月日",
        ),
        (
            "110105189912310021",
            "公民身份号码中的出生日期1899年12月31日早于1900年1月1日，请核对第7–14位",
        ),
        (
            "110105202506020021",
            "公民身份号码中的出生日期2025年6月2日晚于今天，请核对第7–14位",
        ),
        ("110105194912310021", "公民身份号码校验码错误，应为X（当前为1），请核对是否有抄错的数字"),
    ],
)
def test_validate_errors(raw, message):
    with pytest.raises(InvalidIdNumber) as excinfo:
        idnumbers.validate(raw, today=TODAY)
    assert str(excinfo.value) == message
    assert idnumbers.is_valid(raw, today=TODAY) is False


def test_invalid_id_number_is_value_error():
    assert issubclass(InvalidIdNumber, ValueError)


def test_validate_today_boundary():
    born_today = idnumbers.make("420704", TODAY, 1)
    assert idnumbers.validate(born_today, today=TODAY) == born_today
    born_tomorrow = idnumbers.make("420704", TODAY + datetime.timedelta(days=1), 1)
    assert idnumbers.is_valid(born_tomorrow, today=TODAY) is False


def test_validate_default_today_rejects_future():
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    assert idnumbers.is_valid(idnumbers.make("420704", tomorrow, 1)) is False
    assert idnumbers.is_valid(idnumbers.make("420704", datetime.date.today(), 1)) is True


def test_validate_earliest_date_and_leap_day():
    assert idnumbers.is_valid(idnumbers.make("110105", datetime.date(1900, 1, 1), 0)) is True
    assert idnumbers.is_valid(idnumbers.make("110105", datetime.date(2000, 2, 29), 0)) is True
    # 1900 was not a leap year
    assert idnumbers.is_valid("110105190002290011") is False


@pytest.mark.parametrize(
    "province", ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82"]
)
def test_validate_accepts_every_province_boundary(province):
    number = idnumbers.make(province + "0000", datetime.date(1980, 5, 17), 42)
    assert idnumbers.validate(number) == number


@pytest.mark.parametrize(
    "province",
    [
        "00",
        "10",
        "16",
        "20",
        "24",
        "30",
        "38",
        "40",
        "47",
        "49",
        "55",
        "60",
        "66",
        "70",
        "72",
        "80",
        "83",
        "91",
        "99",
    ],
)
def test_validate_rejects_other_provinces(province):
    first17 = province + "0105" + "19800517042"
    with pytest.raises(InvalidIdNumber, match="地址码"):
        idnumbers.validate(first17 + idnumbers.check_digit(first17))


# --- derived values ---------------------------------------------------------------------------


def test_example_birth_date_sex_and_age():
    assert idnumbers.birth_date(EXAMPLE) == datetime.date(1949, 12, 31)
    assert idnumbers.sex(EXAMPLE) == "女"
    assert idnumbers.age_on(EXAMPLE, datetime.date(1949, 12, 31)) == 0
    assert idnumbers.age_on(EXAMPLE, datetime.date(1950, 12, 30)) == 0
    assert idnumbers.age_on(EXAMPLE, datetime.date(1950, 12, 31)) == 1
    assert idnumbers.age_on(EXAMPLE, datetime.date(2024, 12, 30)) == 74
    assert idnumbers.age_on(EXAMPLE, datetime.date(2024, 12, 31)) == 75


def test_sex_male():
    number = idnumbers.make("420704", datetime.date(1990, 1, 1), 123)
    assert number == "420704199001011231"
    assert idnumbers.sex(number) == "男"


def test_age_on_leap_day_birthday():
    number = idnumbers.make("420704", datetime.date(2000, 2, 29), 2)
    assert idnumbers.age_on(number, datetime.date(2001, 2, 28)) == 0
    assert idnumbers.age_on(number, datetime.date(2001, 3, 1)) == 1
    assert idnumbers.age_on(number, datetime.date(2004, 2, 29)) == 4


def test_age_on_before_birth_raises():
    with pytest.raises(ValueError):
        idnumbers.age_on(EXAMPLE, datetime.date(1949, 12, 30))


def test_helpers_reject_invalid_numbers():
    with pytest.raises(InvalidIdNumber):
        idnumbers.birth_date("110105194912310021")
    with pytest.raises(InvalidIdNumber):
        idnumbers.sex("110105194912310021")
    with pytest.raises(InvalidIdNumber):
        idnumbers.age_on("110105194912310021", datetime.date(2020, 1, 1))


def test_helpers_accept_unnormalized_input():
    assert idnumbers.sex(" 11010519491231002x ") == "女"
    assert idnumbers.birth_date('="11010519491231002X"') == datetime.date(1949, 12, 31)


# --- mask -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (EXAMPLE, "110105********002X"),
        ("420704199001011234", "420704********1234"),
        (" 420704199001011234 ", "420704********1234"),
        ("13812345678", "138****5678"),
        ("23812345678", "23*******78"),
        ("1381234567", "13******67"),
        ("张三丰先生", "张三*先生"),
        ("张三", "**"),
        ("abcd", "****"),
        ("a", "*"),
        ("abcde", "ab*de"),
        ("42070419900101123", "42*************23"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask(value, expected):
    assert idnumbers.mask(value) == expected


# --- make -------------------------------------------------------------------------------------


def test_make_known_value():
    assert idnumbers.make("110105", datetime.date(1949, 12, 31), 2) == EXAMPLE


@pytest.mark.parametrize(
    ("region", "birth", "sequence"),
    [
        ("11010", datetime.date(1990, 1, 1), 1),
        ("1101051", datetime.date(1990, 1, 1), 1),
        ("11010A", datetime.date(1990, 1, 1), 1),
        ("000000", datetime.date(1990, 1, 1), 1),
        ("990105", datetime.date(1990, 1, 1), 1),
        ("110105", datetime.date(1899, 12, 31), 1),
        ("110105", datetime.date(1990, 1, 1), -1),
        ("110105", datetime.date(1990, 1, 1), 1000),
    ],
)
def test_make_rejects_bad_arguments(region, birth, sequence):
    with pytest.raises(ValueError):
        idnumbers.make(region, birth, sequence)


# --- properties -------------------------------------------------------------------------------


@hypothesis_settings
@given(regions, births, sequences)
def test_made_numbers_validate_and_round_trip(region, birth, sequence):
    number = idnumbers.make(region, birth, sequence)
    assert len(number) == 18
    assert number[:6] == region
    assert idnumbers.validate(number) == number
    assert idnumbers.birth_date(number) == birth
    assert idnumbers.sex(number) == ("男" if sequence % 2 else "女")
    assert idnumbers.mask(number) == region + "********" + number[-4:]


@hypothesis_settings
@given(valid_numbers, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_changing_one_of_first_17_digits_is_detected(number, position, delta):
    new_digit = str((int(number[position]) + delta) % 10)
    altered = number[:position] + new_digit + number[position + 1 :]
    assert altered != number
    with pytest.raises(InvalidIdNumber):
        idnumbers.validate(altered)


@hypothesis_settings
@given(valid_numbers, st.sampled_from("0123456789X"))
def test_changing_the_check_char_is_detected(number, new_check):
    if new_check == number[17]:
        return
    with pytest.raises(InvalidIdNumber, match=f"校验码错误，应为{number[17]}"):
        idnumbers.validate(number[:17] + new_check)


@hypothesis_settings
@given(valid_numbers, st.sampled_from(["", " ", "'", '="', "\u3000"]), st.booleans())
def test_decorated_valid_numbers_still_validate(number, prefix, lower):
    raw = number.lower() if lower else number
    if prefix == '="':
        raw = f'="{raw}"'
    else:
        raw = prefix + raw
    assert idnumbers.validate(raw) == number
