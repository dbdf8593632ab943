"""DCI test helpers: partners, tokens, envelopes (optionally signed) and the standard's
schemas (tests/dci/schemas, transcribed from spdci/standards) to validate answers with."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from django.conf import settings
from django.core.management import call_command
from jsonschema import Draft202012Validator, FormatChecker
from rest_framework.test import APIClient

from accounts.roles import Role
from core.access import SYSTEM
from dci import services
from dci.signatures import signing_string
from geo.models import Commune
from tests import factories as f

HERE = Path(__file__).parent
SCHEMAS = json.loads((HERE / "schemas" / "social_api_v1.0.0.json").read_text(encoding="utf-8"))
CALLBACK = "http://127.0.0.1:9/dci/callback"

formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """ISO 8601 with its offset, as the standard's DateTime says."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def validate(instance: Any, name: str) -> None:
    """Raise unless `instance` is valid against the standard's schema `name`."""
    schema = {**SCHEMAS, "$ref": f"#/$defs/{name}"}
    Draft202012Validator(schema, format_checker=formats).validate(instance)


def example(name: str) -> dict[str, Any]:
    data = json.loads((HERE / "examples" / name).read_text(encoding="utf-8"))
    data.pop("$comment")
    return data


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def make_partner(
    *,
    communes=(),
    provinces=(),
    role=Role.AUDITOR,
    scopes=("registry.search", "registry.subscribe"),
    key: Ed25519PrivateKey | None = None,
    required: bool = False,
    callbacks=(CALLBACK,),
):
    """A partner bound to a new service user of `role` in the area; (partner, secret)."""
    user = f.user(role, communes=communes, provinces=provinces)
    name = f"partner-{uuid.uuid4().hex[:8]}"
    public = ""
    if key is not None:
        public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        public = public.decode()
    return services.partner_register(
        actor=SYSTEM,
        user=user,
        name=name,
        sender_id=name,
        scopes=list(scopes),
        callback_uris=list(callbacks),
        public_key=public,
        signature_required=required,
    )


def token(partner, secret: str, scope: str | None = None) -> str:
    body = {"grant_type": "client_credentials", "client_id": partner.client_id}
    body["client_secret"] = secret
    if scope:
        body["scope"] = scope
    r = APIClient().post("/dci/oauth2/client/token", body)
    assert r.status_code == 200, r.content
    return r.json()["access_token"]


def client(partner, secret: str, scope: str | None = None) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {token(partner, secret, scope)}")
    return c


def header(partner, action: str, total: int = 1, **extra) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "message_id": str(uuid.uuid4()),
        "message_ts": now(),
        "action": action,
        "sender_id": partner.sender_id,
        "receiver_id": settings.DCI_REGISTRY_ID,
        "total_count": total,
        "is_msg_encrypted": False,
        **extra,
    }


def search_item(query_type: str, query: Any, ref: str = "r1", **criteria) -> dict[str, Any]:
    return {
        "reference_id": ref,
        "timestamp": now(),
        "search_criteria": {
            "version": "1.0.0",
            "query_type": query_type,
            "query": query,
            **criteria,
        },
    }


def search_envelope(partner, *items, **header_extra) -> dict[str, Any]:
    return {
        "header": header(partner, "search", total=len(items), **header_extra),
        "message": {"transaction_id": f"t-{uuid.uuid4().hex[:10]}", "search_request": list(items)},
    }


def sign(envelope: dict[str, Any], key: Ed25519PrivateKey, sender_id: str, **times) -> dict:
    created = times.get("created", int(time.time()))
    expires = times.get("expires", created + 300)
    content = signing_string(created, expires, envelope["header"], envelope["message"])
    signature = base64.b64encode(key.sign(content)).decode()
    envelope["signature"] = (
        f'Signature: namespace="dci", kidId="{sender_id}|k1|ed25519", algorithm="ed25519", '
        f'created="{created}", expires="{expires}", headers="(created) (expires) digest", '
        f'signature="{signature}"'
    )
    return envelope


def post(c: APIClient, path: str, body: Any):
    return c.post(f"/dci/{path}", data=json.dumps(body), content_type="application/json")


@pytest.fixture(autouse=True)
def registry_key(settings, tmp_path) -> str:
    """The registry signs what it sends with a key of this test's own; the public key (PEM),
    as `manage.py dci_signing_key` gives it to partners."""
    settings.DCI_SIGNING_KEY_FILE = str(tmp_path / "dci_signing_key.pem")
    out = io.StringIO()
    call_command("dci_signing_key", "--create", stdout=out, stderr=io.StringIO())
    return out.getvalue().split("\n", 1)[1]


def verify_ours(body: dict[str, Any], public_pem: str) -> None:
    """Check the registry's signature on `body` as a partner would, from the standard alone:
    the BLAKE2b-512 digest of the canonical JSON of header and message, the three-line
    signing string, Ed25519 with the registry's public key. Raises when it does not hold."""
    params = dict(re.findall(r'([A-Za-z]+)="([^"]*)"', body["signature"]))
    assert params["algorithm"] == "ed25519"
    assert params["kidId"].startswith(f"{settings.DCI_REGISTRY_ID}|")
    created, expires = int(params["created"]), int(params["expires"])
    assert created <= time.time() + 5 < expires
    canonical = json.dumps(
        {"header": body["header"], "message": body.get("message", {})},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    digest = base64.b64encode(hashlib.blake2b(canonical, digest_size=64).digest()).decode()
    text = f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}"
    load_pem_public_key(public_pem.encode()).verify(
        base64.b64decode(params["signature"]), text.encode()
    )


@pytest.fixture
def outside(db) -> Commune:
    """A commune of another province (Hà Nội)."""
    return Commune.objects.filter(province_id="01").order_by("code").first()
