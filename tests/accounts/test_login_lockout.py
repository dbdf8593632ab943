"""Password logins (admin, browsable API) lock after repeated failures, per user and per
client address; other users and addresses are unaffected."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

PASSWORD = "pw-not-used-123"  # factories.user's password
ATTACKER, OFFICE, HOME = "203.0.113.66", "198.51.100.10", "192.0.2.20"
LOGINS = ["/admin/login/?next=/admin/", "/api-auth/login/?next=/api/v1/communes/"]


@pytest.fixture
def officer(db):
    u = f.user(Role.PROVINCE_OFFICER, provinces=["22"], username="officer")
    u.is_staff = True
    u.save()
    return u


@pytest.fixture
def colleague(db):
    u = f.user(Role.PROVINCE_OFFICER, provinces=["22"], username="colleague")
    u.is_staff = True
    u.save()
    return u


def login(url: str, username: str, password: str, address: str) -> tuple[int, bool]:
    """(status, logged in) for one attempt from a fresh browser at the address."""
    browser = Client(REMOTE_ADDR=address)
    r = browser.post(url, {"username": username, "password": password})
    return r.status_code, "_auth_user_id" in browser.session


@pytest.mark.parametrize("url", LOGINS)
def test_forty_wrong_passwords_then_the_right_one_does_not_log_in(
    url, officer, colleague, settings
):
    for n in range(1, 41):
        # the form again until the limit; from the limit on, the lockout page
        expected = 200 if n < settings.AXES_FAILURE_LIMIT else 429
        assert login(url, "officer", "wrong password", ATTACKER) == (expected, False)
    assert login(url, "officer", PASSWORD, ATTACKER) == (429, False)
    # The user is locked wherever they come from, the attacker's address for every user ...
    assert login(url, "officer", PASSWORD, OFFICE) == (429, False)
    assert login(url, "colleague", PASSWORD, ATTACKER) == (429, False)
    # ... and another user from another address is not affected.
    assert login(url, "colleague", PASSWORD, OFFICE) == (302, True)


def test_the_limit_is_the_setting_and_the_lock_ends_after_the_cool_off(officer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = LOGINS[0]
    for _ in range(2):
        assert login(url, "officer", "wrong", ATTACKER) == (200, False)
    assert login(url, "officer", PASSWORD, HOME) == (302, True)  # 2 < 3: not locked
    assert login(url, "officer", "wrong", ATTACKER) == (429, False)  # the third locks
    assert login(url, "officer", PASSWORD, HOME) == (429, False)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert login(url, "officer", PASSWORD, HOME) == (302, True)


def test_a_forged_forwarded_for_header_does_not_change_the_address(officer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = LOGINS[0]
    for n in range(3):
        Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").post(
            url, {"username": f"nobody{n}", "password": "wrong"}
        )
    assert login(url, "officer", PASSWORD, ATTACKER) == (429, False)
