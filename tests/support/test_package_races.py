"""A support package's code asked for twice at the same moment (a double submit, a retry
without an Idempotency-Key): one package is made, and the other request waits for it and is
answered on `code` (409 `package_exists`), never the generic conflict of a broken unique key
nor, in the admin, a server error. PostgreSQL only (SQLite serialises writers)."""

from __future__ import annotations

import pytest
from django.db import connection

from core.access import SYSTEM
from support import services
from support.models import SupportPackage
from tests.workers import while_in_progress

from .test_bad_input import _package

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")


def test_a_package_created_during_another_of_its_code_is_409_on_the_code(api, tree):
    def create() -> None:
        services.package_save(
            actor=SYSTEM,
            package=None,
            values={
                "code": "BHYT",
                "name": "Thẻ BHYT (trước)",
                "kind": "health_insurance",
                "sub_project": tree["housing"],
            },
            eligibility=None,
            rates=None,
            funding=None,
        )

    r = while_in_progress(
        create, lambda: api.post("/api/v1/support-packages/", _package(tree), format="json")
    )
    assert not isinstance(r, Exception), r
    assert r.status_code == 409 and r.json()["code"] == "package_exists", r.content
    assert [e["field"] for e in r.json()["errors"]] == ["code"]
    assert list(SupportPackage.objects.values_list("name", flat=True)) == ["Thẻ BHYT (trước)"]
