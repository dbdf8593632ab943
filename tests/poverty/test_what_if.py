"""What-if: who would change class under another standard, official statuses untouched."""

import uuid
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserAccess
from accounts.roles import Role
from core.access import SYSTEM
from households.choices import HouseholdStatus
from households.services import household_close
from poverty import services
from poverty.models import Assessment, OfficialStatus, Survey
from tests import factories as f
from tests.jobs import run_jobs

from .conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(ward, rural):
    """Households whose class depends on the line: 1 person each, rural or urban."""

    def make(commune, income, **kw):
        h = f.household(commune, members=[f.member(with_citizen_id=False)])
        submit(h, income=income, **kw)
        return h

    return {
        # rural, 1.8 M/month: not poor under Decree 07 (1.5 M line, band to 2.25 M: average),
        # near-poor under Decree 351 (2.2 M)
        "rural_mid": make(rural, 1_800_000 * 12),
        # urban, 2.5 M/month: average under 07 (2.0 M line), near-poor under 351 (2.8 M)
        "urban_mid": make(ward, 2_500_000 * 12),
        # rural, 1.8 M with poor housing and 6 deprivations: poor under 351
        "rural_deprived": make(rural, 1_800_000 * 12, poor_housing=True),
        # far above both lines: unchanged
        "rich": make(ward, 10_000_000 * 12),
    }


def start(client, body):
    """POST /what-if/ queues a job, which the worker runs; returns the run it produced."""
    r = client.post("/api/v1/what-if/", body)
    assert r.status_code == 202, r.json()
    assert r.json()["status"] == "queued"
    run_jobs()
    job = client.get(f"/api/v1/jobs/{r.json()['id']}/").json()
    assert job["status"] == "succeeded" and job["kind"] == "what_if"
    run = client.get(f"/api/v1/what-if/{job['report']['what_if_run']}/")
    assert (
        client.get(f"/api/v1/jobs/{job['id']}/").json()["counts"]["households"]
        == run.json()["households"]
    )
    return run


def test_what_if_reports_transitions_by_commune(api, register, decree07, decree351, ward, rural):
    before_assessments = Assessment.objects.count()
    run = start(api, {"standard": str(decree351.id), "baseline": str(decree07.id)}).json()
    assert run["households"] == 4 and run["changed"] == 3
    summary = {
        (t["commune"], t["from_class"], t["to_class"]): t["households"] for t in run["summary"]
    }
    assert summary == {
        (rural.code, "average", "near_poor"): 1,
        (rural.code, "average", "poor"): 1,
        (ward.code, "average", "near_poor"): 1,
        (ward.code, "not_poor", "not_poor"): 1,
    }
    changes = api.get(f"/api/v1/what-if/{run['id']}/changes/", {"commune": rural.code}).json()
    assert {c["household"] for c in changes["results"]} == {
        str(register["rural_mid"].id),
        str(register["rural_deprived"].id),
    }
    only_poor = api.get(f"/api/v1/what-if/{run['id']}/changes/", {"to_class": "poor"}).json()
    assert [c["household"] for c in only_poor["results"]] == [str(register["rural_deprived"].id)]
    # nothing official or stored was touched
    assert Assessment.objects.count() == before_assessments
    assert not OfficialStatus.objects.exists()


def test_what_if_for_one_commune_and_default_baseline(ward_api, register, decree351, ward):
    r = start(ward_api, {"standard": str(decree351.id), "commune": ward.code})
    assert r.json()["households"] == 2 and r.json()["changed"] == 1


def test_what_if_stays_inside_the_area(ward_api, register, decree351, rural):
    r = start(ward_api, {"standard": str(decree351.id)})
    assert r.json()["households"] == 2  # only the ward's households
    r = ward_api.post("/api/v1/what-if/", {"standard": str(decree351.id), "commune": rural.code})
    assert r.status_code == 403


def test_a_what_if_run_is_refused_after_the_users_area_was_narrowed(
    register, decree351, decree07, ward, rural
):
    """A run holds its requester's area when it ran: once the grant is narrowed, its changes
    (household codes and the class each would take) and summary (counts per commune) are
    no longer handed out (409), and it leaves the list of runs."""
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward, rural])
    client = f.client_for(officer)
    run = start(client, {"standard": str(decree351.id), "baseline": str(decree07.id)}).json()

    UserAccess.objects.get(user=officer).communes.set([ward])
    gone = register["rural_deprived"]
    assert client.get(f"/api/v1/households/{gone.id}/").status_code == 404
    for path in (f"/api/v1/what-if/{run['id']}/", f"/api/v1/what-if/{run['id']}/changes/"):
        r = client.get(path)
        assert r.status_code == 409 and r.json()["code"] == "job_rights_changed", path
        assert gone.code not in r.content.decode() and rural.code not in r.content.decode()
    assert client.get("/api/v1/what-if/").json()["results"] == []
    # run again, it covers the area of now
    again = start(client, {"standard": str(decree351.id), "baseline": str(decree07.id)}).json()
    assert all(row["commune"] == ward.code for row in again["summary"])
    assert [r["id"] for r in client.get("/api/v1/what-if/").json()["results"]] == [again["id"]]


def test_a_what_if_run_is_refused_after_the_role_or_a_wider_area(
    register, decree351, decree07, ward, rural
):
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    run = start(client, {"standard": str(decree351.id), "baseline": str(decree07.id)}).json()
    grant = UserAccess.objects.get(user=officer)
    grant.communes.set([ward, rural])
    assert client.get(f"/api/v1/what-if/{run['id']}/").status_code == 409
    grant.communes.set([ward])
    assert client.get(f"/api/v1/what-if/{run['id']}/").status_code == 200
    grant.role = Role.ANALYST
    grant.save()
    assert client.get(f"/api/v1/what-if/{run['id']}/changes/").status_code == 409


def test_a_what_if_run_is_read_while_the_rights_are_unchanged(
    register, decree351, decree07, ward, rural
):
    """No false refusals: the requester under the same rights, and a national
    administrator, read the run, its summary and its changes."""
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward, rural])
    client = f.client_for(officer)
    run = start(client, {"standard": str(decree351.id), "baseline": str(decree07.id)}).json()
    UserAccess.objects.get(user=officer).save()  # a new stamp, the same rights
    admin = f.client_for(f.user(None, superuser=True))
    for reader in (client, admin):
        assert reader.get(f"/api/v1/what-if/{run['id']}/").json()["summary"] == run["summary"]
        changes = reader.get(f"/api/v1/what-if/{run['id']}/changes/").json()["results"]
        assert register["rural_deprived"].code in {c["household_code"] for c in changes}
    assert [r["id"] for r in client.get("/api/v1/what-if/").json()["results"]] == [run["id"]]


def test_what_if_query_count_is_flat(api, ward, decree351, decree07):
    def run_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            api.post(
                "/api/v1/what-if/", {"standard": str(decree351.id), "baseline": str(decree07.id)}
            )
            run_jobs()  # the request and the job it queued
        return len(ctx.captured_queries)

    for i in range(2):
        submit(
            f.household(ward, members=[f.member(with_citizen_id=False)]),
            income=(1_600_000 + i) * 12,
        )
    run_queries()  # warm the in-process cache of published standards
    small = run_queries()
    for i in range(10):
        submit(
            f.household(ward, members=[f.member(with_citizen_id=False)]),
            income=(1_600_000 + i) * 12,
        )
    assert run_queries() == small


def test_latest_facts_are_each_latest_survey_with_its_own_members(ward, rural):
    """The what-if reads surveys and members as two ordered streams; each household gets
    exactly the facts its latest survey gives when rebuilt alone (as a reproduction does)."""
    homes = []
    for i in range(6):
        people = [f.member(f"Chủ hộ {i}", dob=date(1970 + i, 1, 2))]
        people += [
            f.member(f"Con {i}-{k}", relationship="child", dob=date(2012 + k, 3, 4),
                     sex="female" if k % 2 else "male", with_citizen_id=False)
            for k in range(i % 3)
        ]  # fmt: skip
        home = f.household(ward if i % 2 else rural, members=people)
        submit(home, income=(1_000_000 + 300_000 * i) * 12, poor_housing=i % 3 == 0)
        homes.append(home)
    submit(homes[0], day="2026-11-01", income=99_000_000)  # a newer survey replaces the first
    household_close(
        actor=SYSTEM,
        household=homes[1], expected_version=homes[1].version, status=HouseholdStatus.MOVED_OUT,
        reason="moved", on=date(2026, 11, 2),
    )  # fmt: skip

    streamed = {uuid.UUID(s.household_id): (s, facts) for s, facts in services.latest_facts()}

    assert set(streamed) == {h.id for h in homes} - {homes[1].id}
    for home in homes[:1] + homes[2:]:
        latest = Survey.objects.get(household=home, is_latest=True)
        survey, facts = streamed[home.id]
        assert uuid.UUID(survey.id) == latest.id and survey.commune_id == home.commune_id
        assert facts == services.survey_facts_for(latest)
    assert streamed[homes[0].id][1].annual_income == 99_000_000
    assert [len(streamed[h.id][1].members) for h in homes[2:]] == [3, 1, 2, 3]
    in_ward = {uuid.UUID(s.household_id) for s, _ in services.latest_facts(commune=ward)}
    assert in_ward == {homes[3].id, homes[5].id}
