"""One definition of personal data (core.personal) drives every masking path, and who read
personal data in bulk is recorded."""

import csv
import io
import json
from datetime import date

import pytest

from core.access import SYSTEM
from core.models import PersonalDataRead
from core.personal import personal_fields
from households import services as households
from tests import factories as f
from tests.jobs import run_jobs
from tests.poverty.conftest import submit

pytestmark = pytest.mark.django_db

SECRETS = ("Lương Thị Kín", "Số 5 Ngõ Vắng", "Phàn Văn Khiếu", "Hộ này giấu thu nhập")


@pytest.fixture
def analyst(ward):
    return f.client_for(f.user("analyst", communes=[ward]))


@pytest.fixture
def case(ward, ward_api):
    """A registry household with a survey, a posted assessment and a complaint."""
    h = f.household(
        ward,
        members=[f.member("Lương Thị Kín", sex="female", external_id="CD-KIN")],
        address="Số 5 Ngõ Vắng",
        external_id="HK-KIN",
    )
    a = submit(h, income=12_345_678).assessments.get(standard__code="VN-ND07-2021")
    ward_api.post(
        f"/api/v1/assessments/{a.id}/village-meeting/",
        {"meeting_date": "2026-10-05", "attendees": 10, "agreeing": 8},
        HTTP_IF_MATCH='"1"',
    )
    ward_api.post(
        f"/api/v1/assessments/{a.id}/post/",
        {"posted_from": "2026-10-06", "posted_to": "2026-10-08"},
        HTTP_IF_MATCH='"2"',
    )
    r = ward_api.post(
        f"/api/v1/assessments/{a.id}/complaints/",
        {"lodged_by": "Phàn Văn Khiếu", "lodged_on": "2026-10-07", "text": "Hộ này giấu thu nhập"},
    )
    assert r.status_code == 201
    return h, a


def test_the_analyst_sees_no_personal_data_anywhere(analyst, ward_api, case):
    h, a = case
    pages = [
        f"/api/v1/households/{h.id}/",
        "/api/v1/members/",
        "/api/v1/surveys/",
        "/api/v1/assessments/",
        f"/api/v1/assessments/{a.id}/",
        f"/api/v1/assessments/{a.id}/reproduce/",
        "/api/v1/complaints/",
        "/api/v1/changes/",
    ]
    for url in pages:
        r = analyst.get(url)
        assert r.status_code == 200, url
        body = json.dumps(r.json(), ensure_ascii=False)
        for secret in (*SECRETS, "CD-KIN", "HK-KIN", "12345678", "12,345,678"):
            assert secret not in body, (url, secret)
    # the same pages carry the data for a role that may read it
    everything = "".join(json.dumps(ward_api.get(u).json(), ensure_ascii=False) for u in pages)
    for secret in (*SECRETS, "CD-KIN", "HK-KIN", "12345678"):
        assert secret in everything, secret


def test_the_members_order_tells_the_analyst_no_birth_order(analyst, ward_api, ward):
    """A household's members come by relationship, then date of birth: for the analyst,
    who sees birth years only, by birth year, so that the order of two children born the
    same year does not tell which is older (nor follow a change of their dates)."""
    h = f.household(
        ward,
        members=[
            f.member(),
            *(
                f.member(
                    name, relationship="child", dob=date(2012, month, 10), with_citizen_id=False
                )
                for name, month in (("Con Một", 2), ("Con Hai", 11))
            ),
        ],
    )

    def orders(api) -> list[list[str]]:
        """The children's ids in the order of the household's page and of the list's."""
        detail = api.get(f"/api/v1/households/{h.id}/").json()
        [listed] = api.get("/api/v1/households/").json()["results"]
        return [
            [m["id"] for m in household["members"] if m["relationship"] == "child"]
            for household in (detail, listed)
        ]

    analyst_saw = orders(analyst)
    older, younger = h.members.filter(relationship="child").order_by("date_of_birth")
    assert orders(ward_api) == [[str(older.pk), str(younger.pk)]] * 2
    for member, born in ((older, date(2012, 11, 10)), (younger, date(2012, 2, 10))):
        households.member_update(
            actor=SYSTEM,
            member=member,
            expected_version=member.version,
            values={"date_of_birth": born},
        )
    assert orders(analyst) == analyst_saw
    assert orders(ward_api) == [[str(younger.pk), str(older.pk)]] * 2


def test_incomes_are_blanked_but_the_decision_is_not(analyst, case):
    _, a = case
    row = analyst.get(f"/api/v1/assessments/{a.id}/").json()
    assert row["income_per_person_month"] is None and row["explanation_vi"] is None
    assert row["classification"] and row["deprivation_count"] is not None
    assert all(s["notes"] is None for s in row["steps"])
    [survey] = analyst.get("/api/v1/surveys/").json()["results"]
    assert survey["income_wages"] is None and survey["annual_income"] is None
    assert survey["floor_area_m2"] == "80.00"


def test_feed_payloads_follow_the_same_definition(analyst, case):
    events = analyst.get("/api/v1/changes/", {"types": ["household", "member"]}).json()
    for event in events["results"]:
        model = {"household": "households.household", "member": "households.member"}
        for field in personal_fields(model[event["entity"]]) & event["payload"].keys():
            assert event["payload"][field] is None, (event["entity"], field)
    member = next(e for e in events["results"] if e["entity"] == "member")
    assert member["payload"]["sex"] == "female"  # what is not personal stays


def test_bulk_reads_of_personal_data_are_recorded(ward_api, ward_officer, analyst, case):
    h, _ = case
    ward_api.get("/api/v1/households/", {"commune": h.commune_id})
    ward_api.get("/api/v1/changes/")
    ward_api.get(f"/api/v1/households/{h.id}/")  # one record: not a bulk read
    analyst.get("/api/v1/households/")  # masked: nothing personal was read
    reads = list(PersonalDataRead.objects.order_by("id").values("user", "channel", "resource"))
    assert reads == [
        {"user": ward_officer.pk, "channel": "list", "resource": "/api/v1/households/"},
        {"user": ward_officer.pk, "channel": "feed", "resource": "/api/v1/changes/"},
    ]
    first = PersonalDataRead.objects.order_by("id").first()
    assert first.records == 1 and first.query == f"commune={h.commune_id}"


def test_exports_mask_by_the_same_definition_and_are_recorded(
    ward_api, analyst, ward_officer, case
):
    jobs = {}
    for name, client in (("officer", ward_api), ("analyst", analyst)):
        r = client.post("/api/v1/jobs/", {"kind": "export_households"})
        assert r.status_code == 202
        jobs[name] = (client, r.json()["id"])
    run_jobs()
    rows = {}
    for name, (client, job_id) in jobs.items():
        r = client.get(f"/api/v1/jobs/{job_id}/download/")
        text = b"".join(r.streaming_content).decode("utf-8-sig")
        rows[name] = list(csv.DictReader(io.StringIO(text)))
    personal = {"full_name", "date_of_birth", "citizen_id", "address", "external_id"}
    assert all(not r[c] for r in rows["analyst"] for c in personal)
    assert rows["analyst"][0]["sex"] == "female"
    assert rows["officer"][0]["full_name"] == "Lương Thị Kín"
    assert rows["officer"][0]["external_id"] == "HK-KIN"
    reads = PersonalDataRead.objects.filter(channel="export")
    assert [(r.user, r.records) for r in reads] == [(ward_officer, 1)]
