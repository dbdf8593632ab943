"""An assessment read through the API names the exact revision of the standard it used, and the
schema integrators generate clients from says an indicator's `deprived` may be null (unknown)."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from core.access import SYSTEM
from poverty import services
from poverty.models import PovertyStandard

from .conftest import submit

pytestmark = pytest.mark.django_db


def test_an_assessment_names_the_revision_it_used(api, family):
    first = submit(family, day="2026-06-01").assessments.get()
    old = PovertyStandard.objects.get(code="VN-ND07-2021")
    draft = services.standard_new_revision(actor=SYSTEM, standard=old)
    services.standard_update(
        actor=SYSTEM, standard=draft, values={"urban_line": 2_100_000}, indicators=None
    )
    services.standard_publish(actor=SYSTEM, standard=draft)
    second = submit(family, day="2026-06-02").assessments.get()
    rows = {
        a["id"]: a
        for a in api.get("/api/v1/assessments/", {"household": str(family.id)}).json()["results"]
    }
    # Before: both read "standard_code": "VN-ND07-2021" and nothing more (the revision only
    # behind the standard's id); the explanations say "(standard VN-ND07-2021)" alike.
    assert (rows[str(first.id)]["standard_code"], rows[str(first.id)]["standard_revision"]) == (
        "VN-ND07-2021",
        1,
    )
    assert rows[str(second.id)]["standard_revision"] == 2
    one = api.get(f"/api/v1/assessments/{first.id}/").json()
    assert one["standard_revision"] == 1 and one["line"] == 2_000_000


def test_the_schema_says_an_unknown_indicator_is_null():
    schema = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())
    deprived = schema["components"]["schemas"]["IndicatorResult"]["properties"]["deprived"]
    # Before: "type: boolean", not nullable: a generated client reads unknown as false.
    assert deprived.get("nullable") is True
