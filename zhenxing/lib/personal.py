"""Personal data at rest: authenticated encryption and keyed hashes for lookup.

Key material comes from ``settings.ZX_DATA_KEY``: a urlsafe-base64 string of 32 random bytes
(make one with :func:`generate_key`).  Two independent 32-byte subkeys are derived from it with
HKDF-SHA256, one for encryption (info ``b"zhenxing-encrypt-v1"``) and one for lookup hashes
(info ``b"zhenxing-lookup-v1"``), so a lookup hash never reveals anything about the encryption key.

* :func:`encrypt` / :func:`decrypt` — AES-256-GCM, random 12-byte nonce, token
  ``"v1:" + urlsafe_b64(nonce + ciphertext_and_tag)``.  A token is different every time,
  so it cannot be used to search; store :func:`lookup_hash` next to it for that.
* :func:`lookup_hash` — HMAC-SHA256 hex digest of the value after ``strip().upper()``;
  deterministic for one key, different across keys.

Every function takes an optional ``key=`` (same format as the setting) that overrides the setting.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

__all__ = ["DecryptionError", "decrypt", "encrypt", "generate_key", "lookup_hash"]

TOKEN_PREFIX = "v1:"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
ENCRYPT_INFO = b"zhenxing-encrypt-v1"
LOOKUP_INFO = b"zhenxing-lookup-v1"


class DecryptionError(ValueError):
    """The token is malformed, was tampered with, or was made with a different key."""


def generate_key() -> str:
    """Return a new random key suitable for ``settings.ZX_DATA_KEY`` (urlsafe base64 of 32 bytes)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _setting_key() -> str:
    from django.conf import settings

    key = getattr(settings, "ZX_DATA_KEY", None)
    if not key:
        raise ImproperlyConfigured(
            "未配置 ZX_DATA_KEY：请在设置中提供32字节随机密钥的urlsafe-base64编码"
            "（可用 zhenxing.lib.personal.generate_key() 生成）"
        )
    return key


@functools.lru_cache(maxsize=8)
def _subkeys(key: str) -> tuple[bytes, bytes]:
    """Decode the master key and derive ``(encryption_key, lookup_key)``."""
    if not isinstance(key, str):
        raise ImproperlyConfigured("ZX_DATA_KEY 必须是字符串（32字节随机密钥的urlsafe-base64编码）")
    text = key.strip()
    text += "=" * (-len(text) % 4)
    try:
        master = base64.b64decode(text, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured("ZX_DATA_KEY 不是有效的urlsafe-base64编码，请重新生成密钥") from None
    if len(master) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"ZX_DATA_KEY 解码后应为{KEY_BYTES}字节，当前为{len(master)}字节，请用 generate_key() 重新生成"
        )

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)

    return derive(ENCRYPT_INFO), derive(LOOKUP_INFO)


def _keys(key: str | None) -> tuple[bytes, bytes]:
    return _subkeys(_setting_key() if key is None else key)


def encrypt(plaintext: str, key: str | None = None) -> str:
    """Encrypt ``plaintext`` and return a ``"v1:…"`` token; ``""`` encrypts to ``""``.

    Raises ``ImproperlyConfigured`` if the key is missing or malformed.
    """
    enc_key, _ = _keys(key)
    if plaintext == "":
        return ""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(enc_key).encrypt(nonce, plaintext.encode("utf-8"), None)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii")


def decrypt(token: str, key: str | None = None) -> str:
    """Return the plaintext of a token made by :func:`encrypt`; ``""`` decrypts to ``""``.

    Raises :class:`DecryptionError` if the token is malformed, altered in any way, or was
    encrypted with another key; ``ImproperlyConfigured`` if the key is missing or malformed.
    """
    enc_key, _ = _keys(key)
    if token == "":
        return ""
    if not token.startswith(TOKEN_PREFIX):
        raise DecryptionError("无法解密：密文格式无法识别（应以 v1: 开头）")
    body = token[len(TOKEN_PREFIX) :]
    try:
        raw = base64.b64decode(body, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("无法解密：密文编码已损坏") from None
    # Only the canonical encoding is accepted, so that every altered character is detected.
    if base64.urlsafe_b64encode(raw).decode("ascii") != body or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("无法解密：密文编码已损坏")
    try:
        data = AESGCM(enc_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
        return data.decode("utf-8")
    except (InvalidTag, UnicodeDecodeError):
        raise DecryptionError("无法解密：数据已被篡改，或与当前 ZX_DATA_KEY 密钥不匹配") from None


def lookup_hash(value: str, key: str | None = None) -> str:
    """Return the 64-character hex HMAC-SHA256 of ``value.strip().upper()`` under the lookup subkey.

    The same value and key always give the same hash; another key gives another hash.
    Blank values (empty after ``strip()``) give ``""`` so blank optional fields stay blank
    and never match one another by hash.  Callers should apply domain normalization first
    (e.g. :func:`zhenxing.lib.idnumbers.normalize` for ID numbers).
    """
    _, lookup_key = _keys(key)
    normalized = value.strip().upper()
    if not normalized:
        return ""
    return hmac.new(lookup_key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()
