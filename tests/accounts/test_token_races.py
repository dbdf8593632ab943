"""A token issued twice at the same moment for the same client and purpose (a double click
on the admin's Save, two officers at once): one is issued, the other waits for it and is
refused as when it comes after ("already has a live token"), never a server error.
PostgreSQL only (SQLite serialises writers)."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts import services
from accounts.choices import TokenPurpose
from accounts.models import ApiToken
from accounts.roles import Role
from core.access import SYSTEM
from tests import factories as f
from tests.workers import while_in_progress

from .test_admin import ADD, browser, issue_form, staff

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")


def test_a_token_issued_in_the_admin_during_another_for_the_same_client(ward):
    officer = staff(Role.PROVINCE_OFFICER, provinces=["22"])
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    admin = browser(officer)
    form = issue_form(enumerator)
    r = while_in_progress(
        lambda: services.token_issue(
            actor=SYSTEM, user=enumerator, name="Tablet 07", purpose=TokenPurpose.FIELD_APP
        ),
        lambda: admin.post(ADD, form, follow=True),
    )
    assert not isinstance(r, Exception), repr(r)
    assert r.status_code == 200
    shown = " ".join(str(m) for m in r.context["messages"]) + r.content.decode()
    assert "already has a live" in shown
    assert ApiToken.objects.filter(user=enumerator, revoked_at__isnull=True).count() == 1
