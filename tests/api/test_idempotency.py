"""Safe retries: the Idempotency-Key header on creates (core.api.idempotency)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from core.api import idempotency
from core.models import IdempotencyRecord, Job
from households.models import Household

from .test_households import body

pytestmark = pytest.mark.django_db

URL = "/api/v1/households/"


def post(client, data, key, url=URL):
    return client.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_gets_the_original_response_and_creates_nothing(api, ward):
    first = post(api, body(ward), "retry-1")
    assert first.status_code == 201, first.json()
    assert "Idempotent-Replayed" not in first
    again = post(api, body(ward), "retry-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"]
    assert Household.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    # the same body with its keys in another order is the same request
    reordered = dict(reversed(list(body(ward).items())))
    assert post(api, reordered, "retry-1").json()["id"] == first.json()["id"]
    assert Household.objects.count() == 1


def test_a_replay_carries_the_location_of_the_record_it_created(api, ward):
    first = post(api, body(ward), "where")
    again = post(api, body(ward), "where")
    assert again["Location"] == first["Location"]
    assert api.get(again["Location"]).json()["id"] == first.json()["id"]


def test_a_replay_under_other_rights_is_refused(api, province_officer, ward):
    """A replay shows what was shown then: after the user's role or area changed it is
    refused, so it cannot show what their rights no longer show."""
    assert post(api, body(ward), "before").status_code == 201
    grant = province_officer.area_access  # from the province down to one ward
    grant.role = Role.COMMUNE_OFFICER
    grant.save()
    grant.provinces.clear()
    grant.communes.set([ward])
    r = post(api, body(ward), "before")
    assert r.status_code == 409, r.json()
    assert r.json()["code"] == "idempotency_key_rights_changed"
    assert "full_name" not in r.content.decode()
    assert Household.objects.count() == 1


def test_without_a_key_each_post_creates(api, ward):
    data = body(ward)
    del data["members"][0]["citizen_id"]
    assert api.post(URL, data).status_code == api.post(URL, data).status_code == 201
    assert Household.objects.count() == 2 and not IdempotencyRecord.objects.exists()


def test_the_same_key_with_another_body_is_409(api, ward):
    assert post(api, body(ward), "k").status_code == 201
    r = post(api, body(ward, address="Số 9"), "k")
    assert r.status_code == 409
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "idempotency_key_reused"
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    # on another endpoint too
    r = post(api, {"kind": "export_households"}, "k", url="/api/v1/jobs/")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused"
    assert Household.objects.count() == 1 and not Job.objects.exists()


def test_keys_are_per_user(api, ward_api, ward):
    one = post(api, body(ward), "shared-key")
    second_body = body(ward)
    second_body["members"][0]["citizen_id"] = "022185000124"
    two = post(ward_api, second_body, "shared-key")
    assert one.status_code == two.status_code == 201, two.json()
    assert one.json()["id"] != two.json()["id"]
    assert Household.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2


def test_a_failed_request_does_not_use_up_the_key(api, ward):
    bad = body(ward)
    bad["members"][0]["citizen_id"] = "12345"
    r = post(api, bad, "fix-and-retry")
    assert r.status_code == 400
    assert not IdempotencyRecord.objects.exists() and not Household.objects.exists()
    r = post(api, body(ward), "fix-and-retry")
    assert r.status_code == 201, r.json()
    assert Household.objects.count() == 1


@pytest.mark.parametrize("key", ["", "has space", "khóa", "x" * 256, "tab\there"])
def test_an_invalid_key_is_400_naming_the_header(api, ward, key):
    r = api.post(URL, body(ward), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Household.objects.exists()


def test_the_longest_key_is_accepted(api, ward):
    assert post(api, body(ward), "~" * 255).status_code == 201


def test_expired_keys_are_purged_and_free_again(api, ward, settings):
    first = post(api, body(ward), "old-key")
    assert first.status_code == 201
    record = IdempotencyRecord.objects.get()
    assert record.expires_at - record.created_at == timedelta(hours=24)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("cleanup_files", stdout=out)
    assert "1 expired idempotency key(s)" in out.getvalue()
    assert not IdempotencyRecord.objects.exists()
    # an expired key not yet purged is free as well
    settings.IDEMPOTENCY_KEY_HOURS = 0
    second = body(ward)
    second["members"][0]["citizen_id"] = "022185000125"
    assert post(api, second, "k2").status_code == 201
    third = body(ward)
    third["members"][0]["citizen_id"] = "022185000126"
    assert post(api, third, "k2").status_code == 201  # runs again: a new household
    assert Household.objects.count() == 3
    assert idempotency.purge() == 1


def test_a_job_is_queued_once(api):
    first = post(api, {"kind": "export_households"}, "export-1", url="/api/v1/jobs/")
    again = post(api, {"kind": "export_households"}, "export-1", url="/api/v1/jobs/")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert Job.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers")
def test_a_request_in_flight_with_the_key_is_409(api, province_officer, ward):
    import psycopg

    settings_dict = connection.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        password=settings_dict["PASSWORD"] or None,
        autocommit=True,
    )
    try:
        # another request holding the same user and key: its transaction lock
        other.execute(
            "SELECT pg_advisory_lock(%s, %s)",
            idempotency.lock_keys(province_officer.pk, "busy"),
        )
        r = post(api, body(ward), "busy")
        assert r.status_code == 409 and r.json()["code"] == "idempotency_key_in_flight"
        assert not Household.objects.exists()
    finally:
        other.close()


def test_every_create_documents_the_header():
    """Each POST that creates something (201, or 202 for a job) takes Idempotency-Key; the
    protocols with keys of their own (registry sync, field-upload batches) do not, nor does
    resuming a job (it creates nothing, and never starts a second run)."""
    from pathlib import Path

    import yaml

    schema = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "openapi.yaml").read_text(encoding="utf-8")
    )
    own_keys = {
        "/api/v1/registry-sync/",
        "/api/v1/field/uploads/batch/",
        "/api/v1/jobs/{id}/resume/",
    }
    missing = [
        path
        for path, operations in schema["paths"].items()
        if "post" in operations
        and {"201", "202"} & operations["post"]["responses"].keys()
        and path not in own_keys
        and "Idempotency-Key"
        not in [p.get("name") for p in operations["post"].get("parameters", [])]
    ]
    assert missing == []
