"""API tokens: hashed at rest, shown once, expiring, revocable, one per client and purpose."""

import hashlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.choices import TokenPurpose
from accounts.models import ApiToken
from accounts.roles import Role
from core.access import SYSTEM
from core.errors import Conflict, InvalidInput
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/communes/"


@pytest.fixture
def officer(db):
    return f.user(Role.PROVINCE_OFFICER, provinces=["22"])


def client(key: str) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c


def issue(user, name="Tablet 07", purpose=TokenPurpose.FIELD_APP, **extra):
    return services.token_issue(actor=SYSTEM, user=user, name=name, purpose=purpose, **extra)


def expire(token):
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(days=1)
    )


def assert_401(response, code):
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == code


def test_the_key_is_stored_only_as_a_digest_and_a_short_prefix(officer):
    token, key = issue(officer)
    assert len(key) > 40 and " " not in key
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["digest"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["prefix"] == key[:12] and len(row["prefix"]) < len(key) // 3
    assert not any(isinstance(v, str) and key in v for v in row.values())
    assert not apps.is_installed("rest_framework.authtoken")


def test_the_same_header_authenticates_and_last_use_is_recorded_once_a_minute(officer):
    token, key = issue(officer)
    api = client(key)
    assert token.last_used_at is None
    assert api.get(URL).status_code == 200
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(URL).status_code == 200
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first_use
    # A minute later the next request records the use again.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    assert api.get(URL).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_unknown_expired_and_revoked_keys_are_refused(officer):
    assert_401(client("pvk_not-a-real-key").get(URL), "invalid_token")
    token, key = issue(officer)
    _, other_key = issue(officer, name="Tablet 08")
    expire(token)
    assert_401(client(key).get(URL), "token_expired")
    services.token_revoke(token=ApiToken.objects.get(name="Tablet 08"), actor=officer)
    assert_401(client(other_key).get(URL), "token_revoked")


def test_an_inactive_users_tokens_stop_working(officer):
    _, key = issue(officer)
    officer.is_active = False
    officer.save()
    assert_401(client(key).get(URL), "user_inactive")


def test_expiry_defaults_to_the_lifetime_setting_or_is_chosen_per_token(officer, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 30
    before = timezone.now()
    default, _ = issue(officer)
    assert before + timedelta(days=30) <= default.expires_at <= timezone.now() + timedelta(days=30)
    chosen_expiry = timezone.now() + timedelta(hours=2)
    chosen, _ = issue(officer, name="Kiosk", expires_at=chosen_expiry)
    assert chosen.expires_at == chosen_expiry
    with pytest.raises(InvalidInput):
        issue(officer, name="Late", expires_at=timezone.now() - timedelta(minutes=1))


def test_one_live_token_per_client_and_purpose_and_several_per_user(officer):
    tablet, tablet_key = issue(officer, name="Tablet 07")
    with pytest.raises(Conflict):
        issue(officer, name="Tablet 07")
    _, sync_key = issue(officer, name="Tablet 07", purpose=TokenPurpose.OTHER)
    _, laptop_key = issue(officer, name="Laptop")
    for key in (tablet_key, sync_key, laptop_key):
        assert client(key).get(URL).status_code == 200
    # Revoked, the client can be issued a new token; the old key stays refused.
    services.token_revoke(token=tablet, actor=officer)
    _, new_key = issue(officer, name="Tablet 07")
    assert client(new_key).get(URL).status_code == 200
    assert client(tablet_key).get(URL).status_code == 401


def test_an_expired_token_is_revoked_when_its_client_gets_a_new_one(officer):
    old, _ = issue(officer)
    expire(old)
    new, _ = issue(officer)
    old.refresh_from_db()
    assert old.revoked_at is not None and new.revoked_at is None


def test_the_database_holds_the_one_live_token_rule(officer):
    token, _ = issue(officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(
            user=officer,
            name=token.name,
            purpose=token.purpose,
            prefix="pvk_x",
            digest="0" * 64,
            expires_at=token.expires_at,
        )


def test_the_service_checks_who_issues_and_revokes(ward, rural):
    """Whatever the door: only a role with tokens_manage, for users inside its area."""
    from core.errors import NotAllowed

    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    commune_officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    with pytest.raises(NotAllowed):
        services.token_issue(actor=commune_officer, user=enumerator, name="T", purpose="other")
    elsewhere = f.user(Role.PROVINCE_OFFICER, provinces=["01"])
    with pytest.raises(NotAllowed):
        services.token_issue(actor=elsewhere, user=enumerator, name="T", purpose="other")
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    token, _ = services.token_issue(actor=officer, user=enumerator, name="T", purpose="other")
    assert token.created_by == officer
    with pytest.raises(NotAllowed):
        services.token_revoke(token=token, actor=elsewhere)
    assert services.token_revoke(token=token, actor=officer).revoked_by == officer


@pytest.mark.parametrize("role", [Role.COMMUNE_LEADER, Role.AUDITOR, None])
def test_tokens_are_revoked_by_those_who_could_issue_them(ward, role):
    """One rule for issuing and revoking, whatever the door: a token of a user inside the
    officer's area whose role can do what the officer's cannot (a chairperson's approvals,
    an auditor's reads), or of a superuser, is not the officer's to revoke; it keeps working.
    The refusal says nothing of the token's user."""
    from core.errors import NotAllowed

    holder = f.user(role, communes=[ward], superuser=role is None)
    token, key = issue(holder, name="Sync", purpose=TokenPurpose.OTHER)
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    with pytest.raises(NotAllowed) as refused:
        services.token_revoke(token=token, actor=officer)
    assert refused.value.code == "permission_denied"
    assert holder.username not in refused.value.detail
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client(key).get(URL).status_code == 200
    assert services.token_revoke(token=token, actor=SYSTEM).revoked_at is not None
