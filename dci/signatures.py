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
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.utils.translation import gettext

from .codes import Error
from .envelope import DciError, Envelope

PARAM = re.compile(r'([A-Za-z]+)="([^"]*)"')
ALGORITHM = "ed25519"


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
