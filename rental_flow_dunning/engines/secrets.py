"""Encryption at rest of the SMS providers' credentials.

Provider records keep their API secrets encrypted with Fernet (AES-128-CBC + HMAC-SHA256,
from ``cryptography``), never in clear. The key is derived (HKDF-SHA256) from a master
secret that should live outside the database: the Odoo configuration option
``rental_flow_secret_key`` or the environment variable ``RENTAL_FLOW_SECRET_KEY``. When
neither is set the glue falls back to the database's own secret, which still keeps the
credentials out of exports, logs and screens, but not out of a full database dump.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SecretBox", "SecretError"]

_PREFIX = "rfs1:"


class SecretError(ValueError):
    """A secret could not be decrypted (wrong key, or tampered value)."""


class SecretBox:
    """Encrypts and decrypts short secrets with a key derived from ``master``."""

    def __init__(self, master, context="rental_flow_dunning/sms_provider"):
        if not master:
            raise ValueError("a master secret is needed to encrypt credentials")
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=context.encode("utf-8")
        ).derive(master.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, value):
        """Ciphertext of ``value`` (str), or '' for an empty value."""
        if not value:
            return ""
        return _PREFIX + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token):
        """Clear text of ``token``; raises :class:`SecretError` when it cannot be read."""
        if not token:
            return ""
        if not token.startswith(_PREFIX):
            raise SecretError("not an encrypted value")
        try:
            return self._fernet.decrypt(token[len(_PREFIX):].encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise SecretError("the secret cannot be decrypted with the current key") from exc
