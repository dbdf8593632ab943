"""Partners' credentials: the client secret (issued in the admin), access tokens by client
credentials (the standard's authz API, `POST /dci/oauth2/client/token`), and the bearer
check of every DCI call. Refusals carry the standard's codes (401 unauthorized, 403
forbidden); they never say whether a client ID exists."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import key_digest
from core.access import Perm, access_for

from .codes import Error
from .envelope import DciError
from .models import Partner, PartnerToken, Scope

SECRET_MARKER = "dcs_"  # a client secret, recognisable to secret scanners
TOKEN_MARKER = "dct_"  # an access token
PREFIX_LENGTH = 12


def new_secret(marker: str) -> str:
    return marker + secrets.token_urlsafe(32)


def _unauthorized(detail: str | None = None) -> DciError:
    return DciError(
        Error.UNAUTHORIZED, detail or gettext("Invalid client credentials."), status=401
    )


def parse_scopes(requested: str | None, partner: Partner) -> list[str]:
    """The scopes asked for (space-separated; none: all the partner's), each one granted to
    the partner; DciError otherwise."""
    granted = [s for s in partner.scopes if s in Scope.values]
    if not requested:
        return granted
    asked = requested.split()
    refused = [s for s in asked if s not in granted]
    if refused:
        raise DciError(
            Error.FORBIDDEN,
            gettext("Scope not granted to this client: %(scopes)s.")
            % {"scopes": " ".join(refused)[:200]},
            status=400,
        )
    return list(dict.fromkeys(asked))


@transaction.atomic
def token_issue(
    *, client_id: str, client_secret: str, grant_type: str, scope: str | None = None
) -> tuple[PartnerToken, str]:
    """A new access token for valid client credentials (grant type client_credentials)."""
    if grant_type != "client_credentials":
        raise DciError(
            Error.REQUEST_BAD, gettext("grant_type must be client_credentials."), status=400
        )
    partner = (
        Partner.objects.select_related("user").filter(client_id=client_id or "").first()
        if isinstance(client_id, str)
        else None
    )
    digest = key_digest(client_secret) if isinstance(client_secret, str) else ""
    if (
        partner is None
        or not hmac.compare_digest(partner.secret_digest, digest)
        or not partner.active
        or not partner.user.is_active
    ):
        raise _unauthorized()
    scopes = parse_scopes(scope, partner)
    key = new_secret(TOKEN_MARKER)
    now = timezone.now()
    token = PartnerToken.objects.create(
        partner=partner,
        prefix=key[:PREFIX_LENGTH],
        digest=key_digest(key),
        scopes=scopes,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.DCI_TOKEN_SECONDS),
    )
    return token, key


def authenticate(authorization: str, *, scope: str) -> Partner:
    """The partner behind `Authorization: Bearer <token>`, if the token is live and holds
    `scope` and the partner's service user may read the register."""
    kind, _, key = (authorization or "").partition(" ")
    if kind.lower() != "bearer" or not key.strip():
        raise _unauthorized(gettext("A bearer token is required."))
    token = (
        PartnerToken.objects.select_related("partner__user__area_access")
        .filter(digest=key_digest(key.strip()))
        .first()
    )
    if token is None or token.revoked_at is not None:
        raise _unauthorized(gettext("Invalid token."))
    if token.expires_at <= timezone.now():
        raise _unauthorized(gettext("The token has expired."))
    partner = token.partner
    if not partner.active or not partner.user.is_active:
        raise _unauthorized(gettext("Invalid token."))
    if scope not in token.scopes or scope not in partner.scopes:
        raise DciError(
            Error.FORBIDDEN,
            gettext("The token does not hold the scope %(scope)s.") % {"scope": scope},
            status=403,
        )
    if not access_for(partner.user).can(Perm.VIEW):
        raise DciError(
            Error.FORBIDDEN,
            gettext("The partner's service user may not read the register."),
            status=403,
        )
    return partner
