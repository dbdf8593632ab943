"""Partner use cases (register, change, new secret) and the transaction log. Every door (the
admin, commands) comes through here; the actor's right is checked here: `tokens_manage`,
for service users inside the actor's area whose role can do nothing the actor cannot
(accounts.services.require_credentials_of), exactly as for API tokens, for each of them:
a new secret is a way in as the partner's user."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.models import key_digest
from accounts.services import require_credentials_of
from core.access import user_of
from core.errors import InvalidInput

from .auth import PREFIX_LENGTH, SECRET_MARKER, new_secret
from .models import Partner, Scope, Transaction
from .signatures import load_key


def clean_callback_uris(uris: Iterable[str]) -> list[str]:
    """Absolute http(s) URIs with a host and no credentials or fragment, each once."""
    cleaned: list[str] = []
    for uri in uris:
        uri = uri.strip()
        if not uri:
            continue
        parts = urlsplit(uri)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.username
            or parts.password
            or parts.fragment
            or len(uri) > 500
        ):
            raise InvalidInput(
                gettext("Not a callback address: %(uri)s") % {"uri": uri[:100]},
                fields={"callback_uris": gettext("Absolute http(s) addresses only.")},
            )
        if uri not in cleaned:
            cleaned.append(uri)
    return cleaned


def clean_partner(values: dict[str, Any]) -> dict[str, Any]:
    """The partner's editable values, checked (InvalidInput naming the field otherwise)."""
    scopes = list(dict.fromkeys(values.get("scopes") or []))
    if not scopes or any(s not in Scope.values for s in scopes):
        raise InvalidInput(
            gettext("Choose the partner's scopes."), fields={"scopes": gettext("Required.")}
        )
    key = (values.get("public_key") or "").strip()
    if key:
        try:
            load_key(key)
        except ValueError:
            raise InvalidInput(
                gettext("The public key must be an Ed25519 key in PEM."),
                fields={"public_key": gettext("Not an Ed25519 public key.")},
            ) from None
    if values.get("signature_required") and not key:
        raise InvalidInput(
            gettext("A partner that must sign needs a public key."),
            fields={"public_key": gettext("Required when signatures are required.")},
        )
    return {
        **values,
        "scopes": scopes,
        "public_key": key,
        "callback_uris": clean_callback_uris(values.get("callback_uris") or []),
    }


def _require_user(actor, user_pk: int) -> None:
    require_credentials_of(
        actor,
        user_pk,
        gettext(
            "A partner's service user must be inside your area, with a role that can do "
            "nothing yours cannot."
        ),
        fields={"user": gettext("Not one of yours.")},
    )


def _secret() -> tuple[str, dict[str, str]]:
    secret = new_secret(SECRET_MARKER)
    return secret, {"secret_prefix": secret[:PREFIX_LENGTH], "secret_digest": key_digest(secret)}


@transaction.atomic
def partner_register(*, actor, user, **values: Any) -> tuple[Partner, str]:
    """A new partner and its client secret (shown once; only its digest is kept)."""
    _require_user(actor, user.pk)
    values = clean_partner(values)
    secret, stored = _secret()
    try:
        with transaction.atomic():
            partner = Partner.objects.create(
                user=user,
                client_id=f"dci-{secrets.token_hex(8)}",
                created_by=user_of(actor),
                **stored,
                **values,
            )
    except IntegrityError:
        raise InvalidInput(
            gettext("That name, sender ID or service user already belongs to a partner."),
            fields={"name": gettext("Already in use.")},
        ) from None
    return partner, secret


@transaction.atomic
def partner_update(*, actor, partner: Partner, **values: Any) -> Partner:
    """Change a partner's scopes, callbacks, key or state (not its user or client ID)."""
    _require_user(actor, partner.user_id)
    for name, value in clean_partner(values).items():
        setattr(partner, name, value)
    partner.save()
    return partner


@transaction.atomic
def partner_new_secret(*, actor, partner: Partner) -> str:
    """A new client secret; the old one stops working at once (tokens already issued live
    out their lifetime unless revoked)."""
    _require_user(actor, partner.user_id)
    secret, stored = _secret()
    Partner.objects.filter(pk=partner.pk).update(**stored)
    return secret


def callback_allowed(partner: Partner, uri: str) -> bool:
    """Answers go only to an address the partner registered (exact match)."""
    return bool(uri) and uri in partner.callback_uris


def log(partner: Partner, *, action: str, sync: bool, envelope=None, **fields: Any) -> Transaction:
    """Record one DCI call. A message_id already acted on makes this raise IntegrityError
    (the caller answers rjct.message_id.duplicate)."""
    header = envelope.header if envelope else {}
    message_id = header.get("message_id") if isinstance(header.get("message_id"), str) else ""
    uri = header.get("sender_uri") if isinstance(header.get("sender_uri"), str) else ""
    with transaction.atomic():
        return Transaction.objects.create(
            partner=partner,
            action=action[:20],
            sync=sync,
            message_id=message_id[:100],
            transaction_id=(envelope.transaction_id if envelope else "")[:99],
            sender_uri=uri[:500],
            **fields,
        )
