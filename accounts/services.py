"""Token use cases: issue, revoke, record use. Every door (admin, commands) comes through here,
and here the actor's right is checked: `tokens_manage`, for users inside the actor's area whose
role can do nothing the actor cannot (accounts.selectors); commands act as SYSTEM. The same
rule governs every credential of a user, issued, rotated or revoked, API tokens and DCI
partners' secrets alike (`require_credentials_of`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.access import Access, Perm, require, user_of
from core.errors import Conflict, InvalidInput, NotAllowed

from .models import PREFIX_LENGTH, ApiToken, key_digest, new_key
from .selectors import users_token_issuable

# Last use is recorded at most this often per token: not a write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def default_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


def require_credentials_of(
    actor, user_pk: int, message: str, fields: dict[str, str] | None = None
) -> Access:
    """The actor's access if they manage the credentials of the user `user_pk`: issue, rotate
    or revoke them. `tokens_manage`, for the users they may issue to (`users_token_issuable`:
    inside their area, with a role that can do nothing theirs cannot), and for no one else,
    whatever the credential: revoking and rotating are managing too (a new secret is a way
    in). Else NotAllowed with `message`, saying nothing of the user."""
    access = require(actor, Perm.TOKENS_MANAGE)
    if not users_token_issuable(access).filter(pk=user_pk).exists():
        raise NotAllowed(message, fields=fields)
    return access


@transaction.atomic
def token_issue(
    *,
    actor,
    user,
    name: str,
    purpose: str,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for one client and purpose, and its key (shown once; only its digest is
    kept). A client holds one live token per purpose: a live one must be revoked first; an
    expired one is revoked here."""
    require_credentials_of(
        actor,
        user.pk,
        gettext(
            "You may issue tokens only to users inside your area whose role can do nothing "
            "yours cannot."
        ),
        fields={"user": gettext("Not one of yours.")},
    )
    now = timezone.now()
    name = name.strip()
    if not name:
        raise InvalidInput(
            gettext("Name the client (device or system)."), fields={"name": gettext("Required.")}
        )
    expires_at = expires_at or default_expiry(now)
    if expires_at <= now:
        raise InvalidInput(
            gettext("The expiry must be in the future."),
            fields={"expires_at": gettext("Must be in the future.")},
        )
    # The user's row locked first: two issues for one client at the same moment (a double
    # click on Save) run one after the other, so the second sees the first's live token.
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    current = ApiToken.objects.select_for_update().filter(
        user=user, name=name, purpose=purpose, revoked_at__isnull=True
    )
    for token in current:
        if token.expires_at > now:
            raise Conflict(
                (
                    gettext(
                        "%(user)s already has a live %(get_purpose_display)s token for "
                        "%(name)s (%(prefix)s…): revoke it first."
                    )
                    % {
                        "user": user,
                        "get_purpose_display": token.get_purpose_display(),
                        "name": name,
                        "prefix": token.prefix,
                    }
                ),
                fields={"name": gettext("This client already has a live token for this purpose.")},
                code="token_exists",
            )
        token_revoke(token=token, actor=actor)
    key = new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        purpose=purpose,
        prefix=key[:PREFIX_LENGTH],
        digest=key_digest(key),
        created_at=now,
        created_by=user_of(actor),
        expires_at=expires_at,
    )
    return token, key


def token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke the token (idempotent: a revoked token keeps its first revocation), for one of
    the users whose tokens the actor issues."""
    require_credentials_of(
        actor,
        token.user_id,
        gettext(
            "You may revoke tokens only of users inside your area whose role can do nothing "
            "yours cannot."
        ),
    )
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=user_of(actor)
    )
    token.refresh_from_db()
    return token


def token_mark_used(token: ApiToken, now: datetime) -> None:
    """Record that the token was used, at most once per LAST_USED_RESOLUTION."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
