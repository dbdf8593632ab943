"""Standards as versioned data: shipped, drafted, published (immutable), revised."""

import pytest

from accounts.roles import Role
from poverty import services
from poverty.models import PovertyStandard
from tests import factories as f

from .conftest import submit

pytestmark = pytest.mark.django_db


def test_shipped_standards(api):
    rows = {s["code"]: s for s in api.get("/api/v1/poverty-standards/").json()["results"]}
    assert set(rows) == {"VN-ND07-2021", "VN-ND351-2025", "QN-NQ13-2023"}
    d07, d351, qn = rows["VN-ND07-2021"], rows["VN-ND351-2025"], rows["QN-NQ13-2023"]
    assert (d07["rural_line"], d07["urban_line"]) == (1_500_000, 2_000_000)
    assert (d07["rural_average_max"], d07["urban_average_max"]) == (2_250_000, 3_000_000)
    assert (d351["rural_line"], d351["urban_line"]) == (2_200_000, 2_800_000)
    # Decree 351's band is set by law but not known yet; the provincial standard has none.
    assert (d351["rural_average_max"], d351["average_band_unknown"]) == (None, True)
    assert (qn["rural_average_max"], qn["average_band_unknown"]) == (None, False)
    assert d07["average_band_unknown"] is False
    assert (qn["rural_line"], qn["urban_line"], qn["province"]) == (2_100_000, 2_600_000, "22")
    assert len(d07["indicators"]) == 12 and len(d351["indicators"]) == 12
    codes351 = {i["code"] for i in d351["indicators"]}
    assert "waste" in codes351 and "info_devices" not in codes351
    assert all(i["to_confirm"] for i in d351["indicators"])
    assert {s["status"] for s in rows.values()} == {"published"}
    valid = api.get("/api/v1/poverty-standards/", {"valid_on": "2027-06-01"}).json()["results"]
    assert [s["code"] for s in valid] == ["VN-ND351-2025"]


def _draft_body(**extra):
    body = {
        "code": "QN-TEST",
        "name": "Test",
        "legal_basis": "Nghị quyết thử",
        "scope": "provincial",
        "province": "22",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "rural_line": 2_300_000,
        "urban_line": 2_900_000,
        "min_deprivations": 3,
        "indicators": [
            {
                "code": "health_insurance",
                "dimension": "health",
                "name_vi": "BHYT",
                "name_en": "Health insurance",
                "rule": "health_insurance",
                "params": {"min_age": 6},
            }
        ],
    }
    body.update(extra)
    return body


def test_draft_publish_immutable_and_new_revision(api, family):
    r = api.post("/api/v1/poverty-standards/", _draft_body())
    assert r.status_code == 201, r.json()
    sid = r.json()["id"]
    assert r.json()["status"] == "draft" and r.json()["revision"] == 1
    r = api.patch(f"/api/v1/poverty-standards/{sid}/", {"rural_line": 2_400_000})
    assert r.status_code == 200 and r.json()["rural_line"] == 2_400_000
    # drafts are not used for assessments
    assert submit(family, day="2026-06-01").assessments.count() == 1
    assert api.post(f"/api/v1/poverty-standards/{sid}/publish/").status_code == 200
    r = api.patch(f"/api/v1/poverty-standards/{sid}/", {"rural_line": 1})
    assert r.status_code == 409 and r.json()["code"] == "standard_published"
    assert PovertyStandard.objects.get(pk=sid).rural_line == 2_400_000
    assert {a.standard.code for a in submit(family, day="2026-06-02").assessments.all()} == {
        "VN-ND07-2021",
        "QN-TEST",
    }
    # a correction is a new revision; once published it replaces revision 1 for new surveys
    r = api.post(f"/api/v1/poverty-standards/{sid}/new-revision/")
    assert r.status_code == 201 and r.json()["revision"] == 2 and r.json()["supersedes"] == sid
    rev2 = r.json()["id"]
    api.patch(f"/api/v1/poverty-standards/{rev2}/", {"urban_line": 3_000_000})
    api.post(f"/api/v1/poverty-standards/{rev2}/publish/")
    used = submit(family, day="2026-06-03").assessments.get(standard__code="QN-TEST")
    assert str(used.standard_id) == rev2 and used.line == 3_000_000
    # the old decision still names revision 1 and reproduces exactly
    old = PovertyStandard.objects.get(pk=sid)
    assert old.rural_line == 2_400_000 and services.standard_spec(old).urban_line == 2_900_000


def test_a_standard_created_again_is_409_not_a_second_revision(api):
    """A create sent again (a retry without an Idempotency-Key) or with a code in use, the
    national standard's included: refused on `code`, not made the code's next revision (a
    correction is POST …/new-revision/; new surveys use a code's latest revision, so a
    provincial "revision" of the national code would replace it in the province)."""
    from tests.api.test_errors import assert_problem

    assert api.post("/api/v1/poverty-standards/", _draft_body()).status_code == 201
    r = api.post("/api/v1/poverty-standards/", _draft_body())
    assert_problem(r, 409, field="code", code="standard_exists")
    r = api.post("/api/v1/poverty-standards/", _draft_body(code="VN-ND07-2021"))
    assert_problem(r, 409, field="code", code="standard_exists")
    assert PovertyStandard.objects.filter(code="QN-TEST").count() == 1
    assert PovertyStandard.objects.filter(code="VN-ND07-2021").count() == 1


def test_a_new_revision_asked_again_makes_no_second_draft(api):
    from tests.api.test_errors import assert_problem

    sid = api.post("/api/v1/poverty-standards/", _draft_body()).json()["id"]
    assert api.post(f"/api/v1/poverty-standards/{sid}/publish/").status_code == 200
    r = api.post(f"/api/v1/poverty-standards/{sid}/new-revision/")
    assert r.status_code == 201 and r.json()["revision"] == 2
    again = api.post(f"/api/v1/poverty-standards/{sid}/new-revision/")
    p = assert_problem(again, 409, code="draft_exists")
    assert "Revision 2" in p["detail"]
    assert PovertyStandard.objects.filter(code="QN-TEST").count() == 2


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"scope": "national", "province": "22"}, "province"),
        ({"province": None}, "province"),
        ({"valid_to": "2025-01-01"}, "valid_to"),
        ({"rural_average_max": 1_000_000}, "rural_average_max"),
        (
            {"average_band_unknown": True, "urban_average_max": 3_500_000},
            "average_band_unknown",
        ),
        ({"rural_line": -5}, "rural_line"),
        (
            {
                "indicators": [
                    {
                        "code": "x",
                        "dimension": "health",
                        "name_vi": "x",
                        "name_en": "x",
                        "rule": "nonsense",
                    }
                ]
            },
            "indicators.0.rule",
        ),
    ],
)
def test_inconsistent_standards_are_refused(extra, field):
    api = f.client_for(f.user(None, superuser=True))
    r = api.post("/api/v1/poverty-standards/", _draft_body(**extra))
    assert r.status_code == 400, r.json()
    assert field in {e["field"] for e in r.json()["errors"]}
    assert not PovertyStandard.objects.filter(code="QN-TEST").exists()


def test_only_province_officers_manage_their_standards(ward_api, api):
    assert ward_api.post("/api/v1/poverty-standards/", _draft_body()).status_code == 403
    other = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=["01"]))
    assert other.post("/api/v1/poverty-standards/", _draft_body()).status_code == 403
    national = _draft_body(scope="national", province=None)
    assert api.post("/api/v1/poverty-standards/", national).status_code == 403


def test_review_rounds(api, ward_api):
    r = api.post("/api/v1/review-rounds/", {"province": "22", "kind": "periodic", "year": 2026})
    assert r.status_code == 201, r.json()
    assert (r.json()["opens"], r.json()["closes"]) == ("2026-09-01", "2026-12-14")
    r = api.post("/api/v1/review-rounds/", {"province": "22", "kind": "periodic", "year": 2026})
    assert r.status_code == 409 and r.json()["code"] == "round_exists"
    assert [e["field"] for e in r.json()["errors"]] == ["year"]
    r = api.post(
        "/api/v1/review-rounds/",
        {"province": "22", "kind": "periodic", "year": 2027, "opens": "2027-08-01"},
    )
    assert r.status_code == 400
    r = api.post(
        "/api/v1/review-rounds/", {"province": "22", "kind": "regular", "year": 2026, "month": 12}
    )
    assert (r.json()["opens"], r.json()["closes"]) == ("2026-12-15", "2027-01-14")
    again = {"province": "22", "kind": "regular", "year": 2026, "month": 12}
    r = api.post("/api/v1/review-rounds/", again)
    assert [e["field"] for e in r.json()["errors"]] == ["year", "month"]
    assert (
        ward_api.post(
            "/api/v1/review-rounds/",
            {"province": "22", "kind": "regular", "year": 2026, "month": 1},
        ).status_code
        == 403
    )
    assert len(ward_api.get("/api/v1/review-rounds/", {"year": 2026}).json()["results"]) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "regular", "year": 2026, "month": 13}, "month"),
        ({"kind": "regular", "year": 2026, "month": 32767}, "month"),
        ({"kind": "regular", "year": 9999, "month": 12}, "year"),  # closes in January 10000
        ({"kind": "periodic", "year": 20000}, "year"),
        ({"kind": "periodic", "year": 1}, "year"),
    ],
)
def test_a_review_round_outside_the_calendar_is_400_naming_the_field(api, body, field):
    """A month or year no round can have is refused on its field, not a server error (the
    round's dates are computed from them)."""
    from poverty.models import ReviewRound
    from tests.api.test_errors import assert_problem

    r = api.post("/api/v1/review-rounds/", {"province": "22", **body}, format="json")
    assert_problem(r, 400, field=field)
    assert not ReviewRound.objects.exists()


def test_the_admin_refuses_a_review_round_outside_the_calendar(client):
    from poverty.models import ReviewRound

    f.staff_login(client, Role.PROVINCE_OFFICER, provinces=["22"])
    form = {
        "province": "22",
        "kind": "periodic",
        "year": "20000",
        "opens": "2026-09-01",
        "closes": "2026-12-14",
        "name": "x",
    }
    r = client.post("/admin/poverty/reviewround/add/", form, follow=True)
    assert r.status_code == 200
    shown = " ".join(str(m) for m in r.context["messages"]) + r.content.decode()
    assert "2000" in shown and "2100" in shown
    assert not ReviewRound.objects.exists()


def test_survey_in_round_must_fall_in_its_period(ward_api, api, family):
    from .conftest import survey_body

    rnd = api.post(
        "/api/v1/review-rounds/", {"province": "22", "kind": "periodic", "year": 2026}
    ).json()
    r = ward_api.post(
        "/api/v1/surveys/", survey_body(family, day="2026-08-01", review_round=rnd["id"])
    )
    assert r.status_code == 400
    r = ward_api.post(
        "/api/v1/surveys/", survey_body(family, day="2026-09-02", review_round=rnd["id"])
    )
    assert r.status_code == 201
    rows = ward_api.get("/api/v1/assessments/", {"review_round": rnd["id"]}).json()["results"]
    assert len(rows) == 1


def test_a_band_not_known_with_figures_is_refused_by_the_database(db):
    """The rule holds past the services too (the admin and the API go through them)."""
    from django.db import IntegrityError, transaction

    standard = PovertyStandard.objects.get(code="VN-ND351-2025")
    standard.urban_average_max = 3_500_000
    with pytest.raises(IntegrityError), transaction.atomic():
        standard.save()
