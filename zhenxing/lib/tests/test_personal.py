import base64
import hashlib
import hmac
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from zhenxing.lib import personal
from zhenxing.lib.personal import DecryptionError

# The tests pass key= explicitly except the ones using override_settings.  When run without
# pytest-django and without a settings module, configure Django minimally so those still work.
if not django_settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
    django_settings.configure()

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode("ascii")
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode("ascii")
URLSAFE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

hypothesis_settings = hsettings(database=None, max_examples=200, deadline=None)


def _subkey(key: str, info: bytes) -> bytes:
    master = base64.urlsafe_b64decode(key)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


# --- keys -------------------------------------------------------------------------------------


def test_generate_key():
    key = personal.generate_key()
    assert len(key) == 44
    assert set(key.rstrip("=")) <= set(URLSAFE_ALPHABET)
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert personal.generate_key() != key
    assert personal.decrypt(personal.encrypt("测试", key=key), key=key) == "测试"


def test_key_without_padding_is_accepted():
    token = personal.encrypt("张三", key=KEY.rstrip("="))
    assert personal.decrypt(token, key=KEY) == "张三"


@pytest.mark.parametrize(
    "bad_key",
    [
        base64.urlsafe_b64encode(bytes(16)).decode("ascii"),
        base64.urlsafe_b64encode(bytes(33)).decode("ascii"),
        "not base64 at all!",
        "",
    ],
)
def test_bad_explicit_key_is_improperly_configured(bad_key):
    with pytest.raises(ImproperlyConfigured, match="ZX_DATA_KEY"):
        personal.encrypt("x", key=bad_key)
    with pytest.raises(ImproperlyConfigured, match="ZX_DATA_KEY"):
        personal.lookup_hash("x", key=bad_key)


def test_wrong_length_message_names_sizes():
    with pytest.raises(ImproperlyConfigured) as excinfo:
        personal.encrypt("x", key=base64.urlsafe_b64encode(bytes(16)).decode("ascii"))
    assert str(excinfo.value) == "ZX_DATA_KEY 解码后应为32字节，当前为16字节，请用 generate_key() 重新生成"


@override_settings(ZX_DATA_KEY=KEY)
def test_key_comes_from_settings():
    token = personal.encrypt("420704199001011231")
    assert personal.decrypt(token) == "420704199001011231"
    assert personal.decrypt(token, key=KEY) == "420704199001011231"
    assert personal.lookup_hash("abc") == personal.lookup_hash("abc", key=KEY)
    with override_settings(ZX_DATA_KEY=None):
        with pytest.raises(ImproperlyConfigured, match="未配置 ZX_DATA_KEY"):
            personal.decrypt(token)
        with pytest.raises(ImproperlyConfigured, match="未配置 ZX_DATA_KEY"):
            personal.encrypt("")
    with override_settings(ZX_DATA_KEY=OTHER_KEY):
        with pytest.raises(DecryptionError):
            personal.decrypt(token)


# --- encrypt / decrypt ------------------------------------------------------------------------


def test_round_trip_and_format():
    plaintext = "张三 110105194912310 02X"
    token = personal.encrypt(plaintext, key=KEY)
    assert token.startswith("v1:")
    raw = base64.urlsafe_b64decode(token[3:])
    assert len(raw) == 12 + len(plaintext.encode("utf-8")) + 16
    assert personal.decrypt(token, key=KEY) == plaintext


def test_token_matches_the_documented_construction():
    token = personal.encrypt("李四", key=KEY)
    raw = base64.urlsafe_b64decode(token[3:])
    enc_key = _subkey(KEY, b"zhenxing-encrypt-v1")
    assert AESGCM(enc_key).decrypt(raw[:12], raw[12:], None) == "李四".encode()
    # and a token built by hand is accepted
    nonce = bytes(12)
    handmade = "v1:" + base64.urlsafe_b64encode(nonce + AESGCM(enc_key).encrypt(nonce, b"abc", None)).decode()
    assert personal.decrypt(handmade, key=KEY) == "abc"


def test_encryption_is_randomized():
    first = personal.encrypt("同一个值", key=KEY)
    second = personal.encrypt("同一个值", key=KEY)
    assert first != second
    assert personal.decrypt(first, key=KEY) == personal.decrypt(second, key=KEY) == "同一个值"


def test_empty_string_stays_empty():
    assert personal.encrypt("", key=KEY) == ""
    assert personal.decrypt("", key=KEY) == ""


def test_whitespace_is_preserved():
    assert personal.decrypt(personal.encrypt(" ", key=KEY), key=KEY) == " "


def test_wrong_key_raises():
    token = personal.encrypt("秘密", key=KEY)
    with pytest.raises(DecryptionError) as excinfo:
        personal.decrypt(token, key=OTHER_KEY)
    assert str(excinfo.value) == "无法解密：数据已被篡改，或与当前 ZX_DATA_KEY 密钥不匹配"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("abc", "无法解密：密文格式无法识别（应以 v1: 开头）"),
        ("v2:AAAA", "无法解密：密文格式无法识别（应以 v1: 开头）"),
        ("v1:", "无法解密：密文编码已损坏"),
        ("v1:AAAA", "无法解密：密文编码已损坏"),
        ("v1:!!!!", "无法解密：密文编码已损坏"),
        ("v1:" + "A" * 39 + "=", "无法解密：数据已被篡改，或与当前 ZX_DATA_KEY 密钥不匹配"),
    ],
)
def test_malformed_tokens(token, message):
    with pytest.raises(DecryptionError) as excinfo:
        personal.decrypt(token, key=KEY)
    assert str(excinfo.value) == message


def test_decryption_error_is_value_error():
    assert issubclass(DecryptionError, ValueError)


def test_truncated_and_extended_tokens_raise():
    token = personal.encrypt("王五", key=KEY)
    for bad in (token[:-4], token + "AAAA", token.replace("v1:", "v1: ")):
        with pytest.raises(DecryptionError):
            personal.decrypt(bad, key=KEY)


@hypothesis_settings
@given(st.text())
def test_round_trip_any_text(plaintext):
    assert personal.decrypt(personal.encrypt(plaintext, key=KEY), key=KEY) == plaintext


@hypothesis_settings
@given(st.text(min_size=1, max_size=40), st.data())
def test_changing_any_token_character_is_detected(plaintext, data):
    token = personal.encrypt(plaintext, key=KEY)
    body = token[3:].rstrip("=")
    position = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    replacement = data.draw(st.sampled_from(URLSAFE_ALPHABET).filter(lambda c: c != body[position]))
    tampered = token[: 3 + position] + replacement + token[3 + position + 1 :]
    with pytest.raises(DecryptionError):
        personal.decrypt(tampered, key=KEY)


@hypothesis_settings
@given(st.text(min_size=1, max_size=40), st.data())
def test_flipping_any_bit_is_detected(plaintext, data):
    token = personal.encrypt(plaintext, key=KEY)
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[index] ^= 1 << data.draw(st.integers(min_value=0, max_value=7))
    with pytest.raises(DecryptionError):
        personal.decrypt("v1:" + base64.urlsafe_b64encode(bytes(raw)).decode(), key=KEY)


# --- lookup_hash ------------------------------------------------------------------------------


def test_lookup_hash_known_value():
    expected = hmac.new(
        _subkey(KEY, b"zhenxing-lookup-v1"), b"11010519491231002X", hashlib.sha256
    ).hexdigest()
    assert personal.lookup_hash("11010519491231002X", key=KEY) == expected
    # pinned so that a change of construction (which would orphan stored hashes) is noticed
    assert personal.lookup_hash("11010519491231002X", key=KEY) == GOLDEN_HASH


GOLDEN_HASH = "8b347cf162c1217eff299c80f75576a8808d1cb1d6e695192df1b5a80557f8f6"


def test_lookup_hash_is_deterministic_and_normalized():
    value = personal.lookup_hash("11010519491231002X", key=KEY)
    assert len(value) == 64
    assert set(value) <= set("0123456789abcdef")
    assert personal.lookup_hash("11010519491231002X", key=KEY) == value
    assert personal.lookup_hash("  11010519491231002x\n", key=KEY) == value
    assert personal.lookup_hash("110105194912310021", key=KEY) != value


def test_lookup_hash_depends_on_key():
    assert personal.lookup_hash("abc", key=KEY) != personal.lookup_hash("abc", key=OTHER_KEY)


def test_lookup_subkey_is_independent_of_encryption_subkey():
    enc_key = _subkey(KEY, b"zhenxing-encrypt-v1")
    lookup_key = _subkey(KEY, b"zhenxing-lookup-v1")
    master = base64.urlsafe_b64decode(KEY)
    assert len({enc_key, lookup_key, master}) == 3
    plain_hmac = hmac.new(master, b"ABC", hashlib.sha256).hexdigest()
    assert personal.lookup_hash("abc", key=KEY) != plain_hmac


def test_lookup_hash_of_blank_is_blank():
    assert personal.lookup_hash("", key=KEY) == ""
    assert personal.lookup_hash("  \u3000", key=KEY) == ""


@hypothesis_settings
@given(st.text(), st.text())
def test_lookup_hash_equal_iff_normalized_equal(a, b):
    same = a.strip().upper() == b.strip().upper()
    assert (personal.lookup_hash(a, key=KEY) == personal.lookup_hash(b, key=KEY)) is same
