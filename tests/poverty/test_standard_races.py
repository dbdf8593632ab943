"""A standard's new revision or a new standard's code asked for twice at the same moment
(a double submit, a retry without an Idempotency-Key): one is made, the other waits for it
and is answered as when it comes after (409 on what exists), never the generic conflict of a
broken unique key. PostgreSQL only (SQLite serialises writers)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from accounts.roles import Role
from geo.models import Province
from poverty import services
from poverty.models import PovertyStandard, ReviewRound
from tests import factories as f
from tests.workers import while_in_progress

from .test_standards import _draft_body

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")


def test_a_new_revision_asked_for_during_another_makes_one_draft():
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    api = f.client_for(officer)
    sid = api.post("/api/v1/poverty-standards/", _draft_body(), format="json").json()["id"]
    assert api.post(f"/api/v1/poverty-standards/{sid}/publish/").status_code == 200
    published = PovertyStandard.objects.get(pk=sid)
    r = while_in_progress(
        lambda: services.standard_new_revision(actor=officer, standard=published),
        lambda: api.post(f"/api/v1/poverty-standards/{sid}/new-revision/"),
    )
    assert r.status_code == 409 and r.json()["code"] == "draft_exists", r.content
    assert PovertyStandard.objects.filter(code="QN-TEST").count() == 2


def test_a_standard_created_during_another_of_its_code_is_409_on_the_code():
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    api = f.client_for(officer)
    body = _draft_body()
    values = {k: v for k, v in body.items() if k != "indicators"}
    values["province"] = Province.objects.get(code="22")
    for day in ("valid_from", "valid_to"):
        values[day] = date.fromisoformat(values[day])

    def create():
        services.standard_create(actor=officer, values=dict(values), indicators=[])

    r = while_in_progress(
        create, lambda: api.post("/api/v1/poverty-standards/", body, format="json")
    )
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "standard_exists"
    assert [e["field"] for e in r.json()["errors"]] == ["code"]
    assert PovertyStandard.objects.filter(code="QN-TEST").count() == 1


def test_a_review_round_opened_during_the_same_one_is_409_round_exists():
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    api = f.client_for(officer)
    body = {"province": "22", "kind": "periodic", "year": 2026}
    r = while_in_progress(
        lambda: services.review_round_create(
            actor=officer, values={**body, "province": Province.objects.get(code="22")}
        ),
        lambda: api.post("/api/v1/review-rounds/", body, format="json"),
    )
    assert r.status_code == 409 and r.json()["code"] == "round_exists", r.content
    assert ReviewRound.objects.count() == 1
