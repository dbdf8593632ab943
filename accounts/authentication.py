"""`Authorization: Token <key>`: the same header clients have always sent, checked against
the stored digests."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from core.statements import Param, Statement

from . import services
from .models import ApiToken, key_digest

# Compiled once (every request runs it): the digest is unique, so no ordering to add.
_TOKEN = Statement(
    ApiToken.objects.select_related("user__area_access")
    .order_by()
    .filter(digest=Param("digest", ApiToken._meta.get_field("digest")))[:1]
)


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF's header parsing; the key is looked up by its SHA-256 digest (unique index)."""

    def authenticate_credentials(self, key: str):
        found = _TOKEN.run(digest=key_digest(key))
        token = found[0] if found else None
        now = timezone.now()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.", code="invalid_token")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                "The token has been revoked.", code="token_revoked"
            )
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("The token has expired.", code="token_expired")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.", code="user_inactive")
        services.token_mark_used(token, now)
        return token.user, token
