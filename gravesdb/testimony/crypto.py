"""Witness names and contacts, encrypted at rest under a key the database never holds.

A stolen backup, a leaked dump or a read-only SQL injection must not yield the
names of people who risked their lives to speak. Each value is sealed with
AES-256-GCM (``cryptography``, used directly: the popular Django field libraries
are unmaintained or hand back ciphertext when the key is wrong) under a key given
in the environment as ``GRAVESDB_IDENTITY_KEY`` — never ``SECRET_KEY``, which
signs sessions and is shared far more widely.

A token reads ``gdb1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``. The key id lets
an old key decrypt while ``rotate_identity_key`` re-encrypts under the new one.
The row and field are bound in as associated data, so a ciphertext copied onto
another witness's row fails to decrypt instead of swapping two identities.

Finding a returning witness by name uses a blind index: HMAC-SHA256 of the
normalised name under a second key derived from the same secret. Equal names give
equal indexes; the index reveals nothing else, and without the key it cannot be
brute-forced from a list of common names.

Every failure raises: a missing or malformed key, a token under an unknown key, a
wrong key or a tampered token. No caller ever receives ciphertext as if it were a name.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

TOKEN_VERSION = "gdb1"
KEY_BYTES = 32
NONCE_BYTES = 12


class IdentityKeyError(ImproperlyConfigured):
    """The identity key is missing, malformed, or not the one a value was sealed with."""


class IdentityDecryptionError(Exception):
    """A sealed value did not open: wrong key, or the stored value was altered."""


@dataclass(frozen=True, repr=False)
class IdentityKey:
    key_id: str
    encryption_key: bytes
    index_key: bytes


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(secret)


@sensitive_variables()
def parse_key(spec: str, *, setting: str) -> IdentityKey:
    """``<key id>:<32 bytes, URL-safe base64>`` as ``generate_key_spec`` prints it."""
    key_id, sep, encoded = spec.strip().partition(":")
    if not sep or not key_id or not key_id.isalnum():
        raise IdentityKeyError(
            f"{setting} must look like 'k2:<base64 key>' (a short alphanumeric key id, a colon, the key); "
            "create one with `python manage.py rotate_identity_key --generate`."
        )
    try:
        secret = base64.urlsafe_b64decode(encoded.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise IdentityKeyError(f"{setting}: the key after '{key_id}:' must be {KEY_BYTES} bytes in URL-safe base64.")
    return IdentityKey(
        key_id=key_id,
        encryption_key=_derive(secret, b"gravesdb witness identity encryption v1"),
        index_key=_derive(secret, b"gravesdb witness name index v1"),
    )


def generate_key_spec(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"


@functools.lru_cache(maxsize=8)
def _keyring(current_spec: str, old_specs: tuple[str, ...]) -> tuple[IdentityKey, dict[str, IdentityKey]]:
    if not current_spec:
        raise IdentityKeyError(
            "GRAVESDB_IDENTITY_KEY is not set, so witness identities can be neither read nor written. "
            "Set it in the environment (docs/security.md, 'Witness identities'); it is not SECRET_KEY."
        )
    current = parse_key(current_spec, setting="GRAVESDB_IDENTITY_KEY")
    keys = {current.key_id: current}
    for spec in old_specs:
        old = parse_key(spec, setting="GRAVESDB_IDENTITY_OLD_KEYS")
        keys.setdefault(old.key_id, old)
    return current, keys


def keyring() -> tuple[IdentityKey, dict[str, IdentityKey]]:
    """The key new values are sealed with, and every key that may open an old one."""
    return _keyring(
        getattr(settings, "GRAVESDB_IDENTITY_KEY", ""), tuple(getattr(settings, "GRAVESDB_IDENTITY_OLD_KEYS", ()))
    )


def current_key_id() -> str:
    return keyring()[0].key_id


def key_id_of(token: str) -> str:
    version, _, rest = token.partition(":")
    key_id, sep, _ = rest.partition(":")
    if version != TOKEN_VERSION or not sep:
        raise IdentityDecryptionError("The stored identity is not a gravesdb ciphertext; it may have been altered.")
    return key_id


@sensitive_variables()
def encrypt(plaintext: str, *, context: str) -> str:
    key = keyring()[0]
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key.encryption_key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{TOKEN_VERSION}:{key.key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


@sensitive_variables()
def decrypt(token: str, *, context: str) -> str:
    key_id = key_id_of(token)
    keys = keyring()[1]
    if key_id not in keys:
        raise IdentityKeyError(
            f"This identity was sealed with key '{key_id}', which is not configured. Add it to "
            "GRAVESDB_IDENTITY_OLD_KEYS until `rotate_identity_key` has re-encrypted every identity."
        )
    try:
        raw = base64.urlsafe_b64decode(token.rsplit(":", 1)[1].encode("ascii"))
        opened = AESGCM(keys[key_id].encryption_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8"))
    except (InvalidTag, binascii.Error, ValueError) as error:
        raise IdentityDecryptionError(
            f"An identity sealed with key '{key_id}' did not open: the key is wrong or the stored value was altered."
        ) from error
    return opened.decode("utf-8")


def normalise_name(name: str) -> str:
    """The form names are compared in: case, accents, Arabic vowel marks and spacing ignored.

    "Maḥmūd  Khalīl" and "mahmud khalil" become one, as do "مَحْمُود" and "محمود";
    "Mahmoud" stays another spelling, since a transliteration is not a typo.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    unmarked = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch != "\u0640")  # tatweel
    return " ".join(unicodedata.normalize("NFKC", unmarked).casefold().split())


@sensitive_variables()
def blind_index(name: str, key: IdentityKey | None = None) -> str:
    key = key or keyring()[0]
    return hmac.new(key.index_key, normalise_name(name).encode("utf-8"), hashlib.sha256).hexdigest()


def blind_indexes(name: str) -> list[str]:
    """The name's index under every configured key, so a lookup still finds rows not yet rotated."""
    return [blind_index(name, key) for key in keyring()[1].values()]
