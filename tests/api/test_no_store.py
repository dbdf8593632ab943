"""Responses that may carry personal data are not stored by browsers or proxies."""

import pytest
from django.test import Client

from accounts.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_authenticated_api_responses_are_not_stored(ward):
    h = f.household(ward)
    user = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    api = f.client_for(user)
    assert no_store(api.get("/api/v1/households/"))
    assert no_store(api.get(f"/api/v1/households/{h.id}/"))
    missing = api.get("/api/v1/households/00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404 and no_store(missing)
    browser = Client()
    browser.force_login(user)
    assert no_store(browser.get("/api/v1/households/", HTTP_ACCEPT="text/html"))


def test_the_admin_is_not_stored():
    assert no_store(Client().get("/admin/login/"))
    browser = Client()
    browser.force_login(f.user(None, superuser=True))
    assert no_store(browser.get("/admin/households/household/"))


def test_public_documents_may_be_cached():
    assert not no_store(Client().get("/api/schema/"))
