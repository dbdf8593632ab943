"""Officers manage API tokens in the admin: issue (key shown once), revoke, see expiry and
last use; only for users inside their area; never the key or its digest afterwards."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.choices import TokenPurpose
from accounts.models import ApiToken
from accounts.roles import Role
from core.access import SYSTEM
from geo.models import Commune, Village
from tests import factories as f

pytestmark = pytest.mark.django_db

LIST = "/admin/accounts/apitoken/"
ADD = "/admin/accounts/apitoken/add/"


def staff(role, **area):
    user = f.user(role, **area)
    user.is_staff = True
    user.save()
    return user


def browser(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def issue_form(user, name="Tablet 07", purpose=TokenPurpose.FIELD_APP, days=30):
    expires = timezone.localtime() + timedelta(days=days)
    return {
        "user": user.pk,
        "name": name,
        "purpose": purpose,
        "expires_at_0": expires.strftime("%Y-%m-%d"),
        "expires_at_1": expires.strftime("%H:%M:%S"),
    }


def works(key: str) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/v1/communes/").status_code == 200


@pytest.fixture
def other_ward(ward):
    return Commune.objects.filter(province_id="22").exclude(code=ward.code).order_by("code").first()


@pytest.fixture
def officer(db):
    return staff(Role.PROVINCE_OFFICER, provinces=["22"])


def test_an_officer_issues_a_token_and_sees_the_key_once(officer, ward):
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    admin = browser(officer)
    assert admin.get(ADD).status_code == 200
    r = admin.post(ADD, issue_form(enumerator, days=30))
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    token = ApiToken.objects.get(user=enumerator)
    assert token.created_by == officer and token.purpose == TokenPurpose.FIELD_APP
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    shown = " ".join(str(m) for m in get_messages(r.wsgi_request))
    key = re.search(r"(pvk_[\w-]{43})\b", shown).group(1)
    assert works(key)
    assert key in admin.get(r.url).content.decode()  # the page after issuing shows it once
    # Afterwards: expiry and last use, never the key or its digest.
    for page in (LIST, f"{LIST}{token.pk}/change/"):
        body = admin.get(page).content.decode()
        assert token.prefix in body and token.name in body
        assert key not in body and token.digest not in body
    detail = admin.get(f"{LIST}{token.pk}/change/").content.decode()
    assert "Last used" in detail and "Expires" in detail


def test_the_new_key_is_handed_over_in_vietnamese_for_a_vietnamese_officer(officer, ward):
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    r = browser(officer).post(ADD, issue_form(enumerator), HTTP_ACCEPT_LANGUAGE="vi")
    assert r.status_code == 302
    [shown] = [str(m) for m in get_messages(r.wsgi_request) if "sao chép" in str(m)]
    key = re.search(r"(pvk_[\w-]{43})\b", shown).group(1)
    assert shown == (
        f"Khóa của mã truy cập mới cấp cho {enumerator} (Tablet 07, Cài đặt ứng dụng thực "
        f"địa): {key} — hãy sao chép vào ứng dụng ngay bây giờ. Khóa không được lưu lại và sẽ "
        "không hiển thị lần nữa."
    )


def test_a_second_live_token_for_the_same_client_and_purpose_is_refused(officer, ward):
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    services.token_issue(
        actor=SYSTEM, user=enumerator, name="Tablet 07", purpose=TokenPurpose.FIELD_APP
    )
    r = browser(officer).post(ADD, issue_form(enumerator))
    assert r.status_code == 200
    assert "already has a live token" in r.content.decode()
    assert ApiToken.objects.filter(user=enumerator).count() == 1


def test_an_officer_revokes_a_token(officer, ward):
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    token, key = services.token_issue(
        actor=SYSTEM, user=enumerator, name="T", purpose=TokenPurpose.FIELD_APP
    )
    r = browser(officer).post(LIST, {"action": "revoke", "_selected_action": [token.pk]})
    assert r.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == officer
    assert not works(key)


def test_officers_manage_only_users_inside_their_area(officer, ward, other_ward):
    inside = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    village_user = f.user(
        Role.FIELD_ENUMERATOR, villages=[Village.objects.create(commune=ward, name="Thôn 9")]
    )
    outside = f.user(Role.COMMUNE_OFFICER, provinces=["01"])
    straddling = f.user(Role.COMMUNE_OFFICER, communes=[ward, Commune.objects.get(code="00004")])
    superuser = f.user(None, superuser=True)
    tokens = {
        u.username: services.token_issue(
            actor=SYSTEM, user=u, name="x", purpose=TokenPurpose.OTHER
        )[0]
        for u in (inside, village_user, outside, straddling, superuser)
    }
    # A commune chairperson inside the area: no token issued for them (a token would lend the
    # province officer the chairperson's decisions), and none of theirs listed or revoked.
    leader = f.user(Role.COMMUNE_LEADER, communes=[other_ward])
    tokens[leader.username] = services.token_issue(
        actor=SYSTEM, user=leader, name="x", purpose="other"
    )[0]

    admin = browser(officer)
    listed = {t.user.username for t in admin.get(LIST).context["cl"].result_list}
    assert listed == {inside.username, village_user.username}
    for hidden in (outside, straddling, superuser, leader):
        assert admin.get(f"{LIST}{tokens[hidden.username].pk}/change/").status_code == 302

    field = admin.get(ADD).context["adminform"].form.fields["user"]
    choices = {value.value for value, _label in field.choices if value}
    assert inside.pk in choices and village_user.pk in choices
    assert not {outside.pk, straddling.pk, superuser.pk, leader.pk} & choices
    for refused in (outside, superuser, leader):
        r = admin.post(ADD, issue_form(refused, name="New"))
        assert r.status_code == 200 and "user" in r.context["adminform"].form.errors
    assert not ApiToken.objects.filter(name="New").exists()

    # Revoking through a forged selection of a token outside the area does nothing.
    admin.post(LIST, {"action": "revoke", "_selected_action": [tokens[outside.username].pk]})
    assert ApiToken.objects.get(pk=tokens[outside.username].pk).revoked_at is None


@pytest.mark.parametrize("role", [Role.COMMUNE_LEADER, Role.AUDITOR, None])
def test_an_officer_revokes_no_token_they_could_not_have_issued(officer, ward, role):
    """A chairperson inside the area decides what the province officer cannot, an auditor
    reads what they cannot, a superuser does everything: their tokens are not the officer's
    to manage. Not listed, not found, and a forged selection revokes nothing; the key works."""
    holder = f.user(role, communes=[ward], superuser=role is None)
    token, key = services.token_issue(
        actor=SYSTEM, user=holder, name="Sync", purpose=TokenPurpose.OTHER
    )
    mine, my_key = services.token_issue(
        actor=SYSTEM,
        user=f.user(Role.FIELD_ENUMERATOR, communes=[ward]),
        name="Tablet",
        purpose=TokenPurpose.FIELD_APP,
    )
    admin = browser(officer)
    assert [t.pk for t in admin.get(LIST).context["cl"].result_list] == [mine.pk]
    r = admin.get(f"{LIST}{token.pk}/change/", follow=True)
    shown = " ".join(str(m) for m in r.context["messages"])
    assert "doesn’t exist" in shown and token.prefix not in r.content.decode()
    r = admin.post(LIST, {"action": "revoke", "_selected_action": [token.pk, mine.pk]}, follow=True)
    assert r.status_code == 200
    shown = " ".join(str(m) for m in r.context["messages"])
    assert "1 token revoked" in shown
    token.refresh_from_db()
    assert token.revoked_at is None and works(key)
    assert not works(my_key)


def test_superusers_manage_every_token(ward):
    outside = f.user(Role.COMMUNE_OFFICER, provinces=["01"])
    admin = browser(f.user(None, superuser=True))
    assert admin.post(ADD, issue_form(outside)).status_code == 302
    assert admin.get(LIST).context["cl"].result_count == 1


@pytest.mark.parametrize(
    "role", [Role.COMMUNE_LEADER, Role.COMMUNE_OFFICER, Role.FIELD_ENUMERATOR, Role.AUDITOR]
)
def test_roles_without_the_permission_cannot_manage_tokens(role, ward):
    admin = browser(staff(role, communes=[ward]))
    assert admin.get(LIST).status_code == 403
    assert admin.get(ADD).status_code == 403
    assert "apitoken" not in admin.get("/admin/").content.decode()


def test_users_and_tokens_are_not_deleted_in_the_admin(ward):
    """Nothing is deleted in the admin (docs/security.md §2): a user is deactivated
    (`is_active` on their page) and a token revoked, so the change history keeps naming who
    made each change; a deleted user's changes would read as the system's (simple-history
    sets `history_user` to NULL)."""
    h = f.household(ward)
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    r = f.client_for(officer).patch(
        f"/api/v1/households/{h.pk}/", {"address": "Số 5"}, HTTP_IF_MATCH='"1"'
    )
    assert r.status_code == 200, r.json()
    token, key = services.token_issue(
        actor=SYSTEM, user=officer, name="T", purpose=TokenPurpose.OTHER
    )
    admin = browser(f.user(None, superuser=True))
    users = "/admin/auth/user/"
    assert 'name="is_active"' in admin.get(f"{users}{officer.pk}/change/").content.decode()
    for page, pk in ((users, officer.pk), (LIST, token.pk)):
        assert admin.get(f"{page}{pk}/delete/").status_code == 403
        assert admin.post(f"{page}{pk}/delete/", {"post": "yes"}).status_code == 403
        assert "delete_selected" not in admin.get(page).content.decode()
        admin.post(page, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert h.history.first().history_user_id == officer.pk
    assert ApiToken.objects.filter(pk=token.pk).exists() and works(key)
