"""API throttling: past its rate a client gets 429 problem details with Retry-After; other
clients go on; the counts are shared by every worker process."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import Client

from accounts.choices import TokenPurpose
from accounts.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
URL = "/api/v1/communes/"


@pytest.fixture
def rates(settings):
    def set_rates(client=None, anon=None):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"client": client, "anon": anon},
        }

    return set_rates


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 429 and problem["code"] == "throttled"
    assert problem["type"].endswith("/throttled") and problem["title"] and problem["detail"]
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_client_past_its_rate_gets_429_and_other_clients_go_on(rates, ward):
    rates(client="3/minute")
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    tablet, laptop = f.client_for(officer), f.client_for(officer)  # two tokens, two clients
    colleague = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    for _ in range(3):
        assert tablet.get(URL).status_code == 200
    assert_throttled(tablet.get(URL))
    assert_throttled(tablet.post("/api/v1/villages/", {"commune": ward.code, "name": "Thôn 5"}))
    assert laptop.get(URL).status_code == 200
    assert colleague.get(URL).status_code == 200


def test_failed_requests_count_too(rates):
    rates(client="3/minute")
    api = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))
    missing = "/api/v1/households/00000000-0000-0000-0000-000000000000/"
    for _ in range(3):
        assert api.get(missing).status_code == 404
    assert_throttled(api.get(missing))


def test_a_browser_session_is_throttled_per_user(rates):
    rates(client="2/minute")
    user = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    assert first.get(URL).status_code == 200
    assert second.get(URL).status_code == 200
    assert_throttled(first.get(URL))


def test_anonymous_clients_are_throttled_per_address(rates):
    rates(anon="2/minute")
    here, there = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.8")
    for n in range(2):  # a forged X-Forwarded-For does not make a new client
        assert here.get("/api/schema/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code == 200
    assert_throttled(here.get("/api/schema/"))
    assert there.get("/api/schema/").status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_the_client(rates, settings):
    rates(anon="1/minute")
    settings.PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    assert proxy.get("/api/schema/", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 200
    assert proxy.get("/api/schema/", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200
    assert_throttled(proxy.get("/api/schema/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7"))


def test_rates_off_means_no_throttling(rates):
    rates(client=None)
    api = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))
    assert all(api.get(URL).status_code == 200 for _ in range(5))


def test_auth_header_helper_gives_each_call_its_own_client():
    user = f.user(Role.AUDITOR, provinces=["22"])
    assert f.auth_header(user) != f.auth_header(user, purpose=TokenPurpose.REPORTING)


THROTTLE_IN_A_NEW_PROCESS = """
import sys
import django
django.setup()
from django.test import RequestFactory
from rest_framework.request import Request
from core.api.throttling import AnonRateThrottle
request = Request(RequestFactory().get("/api/schema/", REMOTE_ADDR=sys.argv[1]))
print(AnonRateThrottle().allow_request(request, None))
"""


def test_worker_processes_share_the_counts():
    """What three gunicorn workers do: each request in a fresh interpreter with the settings
    as configured (no test overrides), the same client address."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env["API_ANON_THROTTLE_RATE"] = "2/hour"
    address = f"test-{uuid.uuid4()}"  # a client no other run has seen

    def allowed() -> str:
        result = subprocess.run(
            [sys.executable, "-c", THROTTLE_IN_A_NEW_PROCESS, address],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert [allowed(), allowed(), allowed()] == ["True", "True", "False"]
