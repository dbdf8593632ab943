"""Message signatures (the standard's `MsgSignature`): Ed25519 over the header and message.

The signature field reads, as in the standard's example:

    Signature: namespace="dci", kidId="{sender_id}|{key_id}|ed25519", algorithm="ed25519",
    created="<unix time>", expires="<unix time>", headers="(created) (expires) digest",
    signature="<base64 Ed25519 signature of the signing string>"

The signing string is three lines (`(created): …`, `(expires): …`, `digest: BLAKE-512=…`),
the digest being BLAKE2b-512 (base64) of the canonical JSON of `{"header": …, "message": …}`
(keys sorted, no spaces, UTF-8). A signature is verified when the partner registered a key;
a partner marked "signature required" (which needs a key: a database constraint) must sign
every message.

The registry signs what it sends the same way (`signed`: the answers of the sync endpoints,
callbacks and notifications), with its own Ed25519 key, kept in `DCI_SIGNING_KEY_FILE`
(`manage.py dci_signing_key` creates it and prints the public key partners verify with). Its
`kidId` is `{DCI_REGISTRY_ID}|{key id}|ed25519`, the key id being the first 16 hex digits of
the SHA-256 of the raw public key. A message without a `message` is signed as if it were `{}`,
as `verify` reads one. Without a key file the registry's messages go unsigned, and
`manage.py check --deploy` says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext

from .codes import Error
from .envelope import DciError, Envelope

PARAM = re.compile(r'([A-Za-z]+)="([^"]*)"')
ALGORITHM = "ed25519"
SIGNATURE_SECONDS = 3600  # how long a signature the registry makes stays valid


def digest(header: dict[str, Any], message: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"header": header, "message": message},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return base64.b64encode(hashlib.blake2b(canonical, digest_size=64).digest()).decode()


def signing_string(created: int, expires: int, header: dict, message: dict) -> bytes:
    return (
        f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest(header, message)}"
    ).encode()


def load_key(pem: str) -> Ed25519PublicKey:
    """The partner's public key; ValueError unless it is an Ed25519 key in PEM."""
    key = load_pem_public_key(pem.strip().encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 key")
    return key


def _invalid(detail: str) -> DciError:
    return DciError(Error.SIGNATURE_INVALID, detail, status=401)


def verify(partner, envelope: Envelope) -> None:
    """Check the envelope's signature when the partner registered a key; refuse an unsigned
    message from a partner that must sign. Without a key, a signature cannot be checked."""
    if not partner.public_key:
        return
    if not envelope.signature:
        if not partner.signature_required:
            return
        raise DciError(
            Error.SIGNATURE_MISSING,
            gettext("This partner must sign its messages."),
            status=401,
        )
    params = dict(PARAM.findall(envelope.signature))
    if params.get("algorithm", "").lower() != ALGORITHM:
        raise _invalid(gettext("Only ed25519 signatures are accepted."))
    if not params.get("kidId", "").startswith(f"{partner.sender_id}|"):
        raise _invalid(gettext("The signing key is not this partner's."))
    try:
        created, expires = int(params["created"]), int(params["expires"])
        signature = base64.b64decode(params["signature"], validate=True)
    except (KeyError, ValueError):
        raise _invalid(gettext("The signature is malformed.")) from None
    now = int(time.time())
    skew = settings.DCI_CLOCK_SKEW_SECONDS
    if not (created <= now + skew and now < expires and created < expires):
        raise _invalid(gettext("The signature is not valid at this time."))
    try:
        load_key(partner.public_key).verify(
            signature, signing_string(created, expires, envelope.header, envelope.message)
        )
    except (InvalidSignature, ValueError):
        raise _invalid(gettext("The signature does not match the message.")) from None


# ---------------------------------------------------------------------------- our signatures


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        """The first 16 hex digits of the SHA-256 of the raw public key."""
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()[:16]

    @property
    def kid(self) -> str:
        """The `kidId` of the registry's signatures, which partners match the key by."""
        return f"{settings.DCI_REGISTRY_ID}|{self.key_id}|{ALGORITHM}"

    def public_pem(self) -> str:
        public = self.private.public_key()
        return public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


_loaded: dict[tuple[str, int], SigningKey] = {}


def signing_key() -> SigningKey | None:
    """The registry's key from `DCI_SIGNING_KEY_FILE`, or None when there is no such file.
    ImproperlyConfigured when the file is not an unencrypted Ed25519 private key in PEM."""
    path = settings.DCI_SIGNING_KEY_FILE
    if not path or not os.path.isfile(path):
        return None
    stamp = (str(path), os.stat(path).st_mtime_ns)
    key = _loaded.get(stamp)
    if key is None:
        try:
            private = load_pem_private_key(Path(path).read_bytes(), password=None)
        except (ValueError, TypeError) as error:
            raise ImproperlyConfigured(f"DCI_SIGNING_KEY_FILE {path}: {error}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise ImproperlyConfigured(f"DCI_SIGNING_KEY_FILE {path}: not an Ed25519 key")
        _loaded.clear()
        key = _loaded[stamp] = SigningKey(private)
    return key


def create_signing_key(path: str | os.PathLike) -> SigningKey:
    """A new key written to `path` (readable by its owner only); never over an existing file."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return SigningKey(private)


def sign(header: dict[str, Any], message: dict[str, Any], key: SigningKey) -> str:
    """The `signature` field of a message the registry sends."""
    created = int(time.time())
    expires = created + SIGNATURE_SECONDS
    signature = key.private.sign(signing_string(created, expires, header, message))
    return (
        f'Signature: namespace="dci", kidId="{key.kid}", '
        f'algorithm="{ALGORITHM}", created="{created}", expires="{expires}", '
        f'headers="(created) (expires) digest", '
        f'signature="{base64.b64encode(signature).decode()}"'
    )


def signed(body: dict[str, Any]) -> dict[str, Any]:
    """An envelope (`header`, optional `message`) signed with the registry's key, as JSON
    values only (what is signed is what is sent); unchanged when the registry has no key."""
    key = signing_key()
    if key is None:
        return body
    plain = json.loads(json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False))
    plain["signature"] = sign(plain["header"], plain.get("message") or {}, key)
    return plain
