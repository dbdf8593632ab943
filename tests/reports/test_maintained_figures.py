"""What the reports read instead of the register and the assessments' JSON stays exact:
the household counts kept by triggers (PostgreSQL) after writes through every path, and each
official status's copy of its assessment's indicator results."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.access import SYSTEM
from geo.models import Village
from households import services
from households.choices import HouseholdStatus
from households.models import Household
from integrations import sync
from poverty.models import OfficialStatus
from poverty.services.status import indicator_columns
from reports import counts
from reports.models import HouseholdCount
from tests import factories as f
from tests.integrations.test_sync import family

ND07 = "VN-ND07-2021"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counts are kept on PostgreSQL only"
)


def rates(api, monkeypatch, *, maintained: bool, **params) -> dict:
    """The poverty rates as answered from the maintained counts, or from the register."""
    monkeypatch.setattr(counts, "maintained", lambda: maintained)
    r = api.get("/api/v1/reports/poverty-rates/", {"standard": ND07, **params})
    assert r.status_code == 200, r.content
    return r.json()


def assert_exact() -> None:
    assert counts.differences() == []


@postgresql_only
def test_counts_stay_exact_through_every_write_path(
    api, admin_client, province_officer, ward, rural, monkeypatch
):
    village = Village.objects.create(commune=ward, name="Thôn Bắc")
    # services (the API's and the field app's registration)
    a = f.household(ward, village=village)
    b = f.household(ward)
    c = f.household(rural)
    d = f.household(rural)
    assert_exact()
    # the API: moved to another village, then to another commune
    officer = f.client_for(f.user(None, superuser=True))
    moved = {"village": str(village.id)}
    r = officer.patch(f"/api/v1/households/{b.pk}/", moved, HTTP_IF_MATCH='"1"')
    assert r.status_code == 200, r.content
    r = officer.patch(
        f"/api/v1/households/{a.pk}/", {"commune": rural.code, "village": None}, HTTP_IF_MATCH='"1"'
    )
    assert r.status_code == 200, r.content
    assert_exact()
    # closed, merged
    c.refresh_from_db()
    services.household_close(
        actor=SYSTEM,
        household=c,
        expected_version=c.version,
        status=HouseholdStatus.MOVED_OUT,
        reason="moved",
        on=date(2026, 5, 1),
    )
    d.refresh_from_db()
    b.refresh_from_db()
    services.household_merge(
        actor=SYSTEM,
        source=d,
        target=b,
        expected_version=d.version,
        reason="one family",
        on=date(2026, 6, 1),
    )
    assert_exact()
    # the admin's add form
    r = admin_client.post("/admin/households/household/add/", f.admin_household(ward))
    assert r.status_code == 302
    assert_exact()
    # the registry sync (INSERT … SELECT, then UPDATE … FROM moving a household's commune)
    sync.sync_records([family("HK-1", ward), family("HK-2", ward)], actor=province_officer)
    sync.sync_records([family("HK-1", rural), family("HK-2", ward)], actor=province_officer)
    assert Household.objects.get(external_id="HK-1").commune_id == rural.code
    assert_exact()
    # the demo generator's COPY
    call_command("generate_demo_data", households=12, stdout=None)
    assert_exact()
    # bulk and raw SQL
    Household.objects.filter(commune=rural, status=HouseholdStatus.ACTIVE).update(
        status=HouseholdStatus.DISSOLVED, status_date=date(2026, 7, 1)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE households_household SET village_id = NULL WHERE village_id = %s", [village.id]
        )
    assert_exact()
    # deleted (a household whose registration is undone, members first)
    gone = f.household(ward)
    gone.members.all().delete()
    Household.objects.filter(pk=gone.pk).delete()
    assert_exact()

    # the report answers the same from the counts as from the register, on several dates
    for on in ("2026-04-30", "2026-05-01", "2026-06-30", "2026-12-31"):
        for group_by in ("commune", "village", "none"):
            params = {"as_of": on, "group_by": group_by}
            assert rates(api, monkeypatch, maintained=True, **params) == rates(
                api, monkeypatch, maintained=False, **params
            )
    by_year = {"group_by": "year", "year_from": 2024, "year_to": 2027}
    assert rates(api, monkeypatch, maintained=True, **by_year) == rates(
        api, monkeypatch, maintained=False, **by_year
    )

    # compacted: one row per key, still exact
    keys = HouseholdCount.objects.values("commune", "village", "status", "status_date").distinct()
    before, after = counts.compact()
    assert before > after == keys.count() == HouseholdCount.objects.count()
    assert_exact()

    # TRUNCATE empties them too
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's pending checks
        cursor.execute("TRUNCATE households_household CASCADE")
    assert_exact()
    assert not HouseholdCount.objects.exists()


@postgresql_only
def test_the_command_checks_compacts_and_rebuilds(ward, capsys):
    f.household(ward)
    f.household(ward)
    call_command("report_counts", "--check")
    call_command("report_counts")
    assert "compacted: " in capsys.readouterr().out
    HouseholdCount.objects.create(commune=ward, status=HouseholdStatus.ACTIVE, n=5)  # drift
    with pytest.raises(CommandError, match="1 key"):
        call_command("report_counts", "--check")
    call_command("report_counts", "--rebuild")
    assert_exact()
    assert HouseholdCount.objects.get().n == 2


@postgresql_only
def test_the_counts_are_appended_never_updated(ward):
    """Writers never wait on each other for a count: each statement adds its own rows."""
    f.household(ward)
    first = set(HouseholdCount.objects.values_list("id", flat=True))
    f.household(ward)
    assert first < set(HouseholdCount.objects.values_list("id", flat=True))
    assert set(HouseholdCount.objects.values_list("n", flat=True)) == {1}


def test_each_official_status_copies_its_assessments_results(known):
    statuses = OfficialStatus.objects.select_related("assessment")
    assert statuses.count() == 5
    for s in statuses:
        a = s.assessment
        assert s.deprivation_count == a.deprivation_count
        assert s.indicator_codes.split(",") == [i["code"] for i in a.indicators]
        deprived = [i["code"] for i in a.indicators if i["deprived"] is True]
        codes = s.indicator_codes.split(",")
        assert [codes[b] for b in range(len(codes)) if s.deprived_mask >> b & 1] == deprived
    poor = statuses.get(household=known["w_poor"], valid_to__isnull=True)
    assert poor.deprivation_count == 6


def test_indicator_columns_skip_unknowns():
    assert indicator_columns(
        [
            {"code": "water", "deprived": True},
            {"code": "latrine", "deprived": None},
            {"code": "telecom", "deprived": False},
            {"code": "devices", "deprived": True},
        ]
    ) == {"indicator_codes": "water,latrine,telecom,devices", "deprived_mask": 0b1001}


def test_an_indicator_the_standard_does_not_list_is_counted_too(api, known, ward):
    """A status whose assessment listed more indicators than the standards do (an older
    engine) is counted with all of them: the report counts the bits its list needs."""
    s = OfficialStatus.objects.get(household=known["w_poor"], valid_to__isnull=True)
    codes = s.indicator_codes.split(",")
    OfficialStatus.objects.filter(pk=s.pk).update(
        indicator_codes=",".join([*codes, "legacy_extra"]),
        deprived_mask=s.deprived_mask | 1 << len(codes),
    )
    r = api.get("/api/v1/reports/deprivation-profile/", {"as_of": "2026-07-01", "standard": ND07})
    assert r.status_code == 200
    row = next(
        r for r in r.json()["rows"] if (r["commune"], r["indicator"]) == (ward.code, "legacy_extra")
    )
    assert (row[f"assessed__{ND07}"], row[f"deprived__{ND07}"], row[f"deprived_poor__{ND07}"]) == (
        3,
        1,
        1,
    )


@pytest.fixture
def admin_client(client):
    client.force_login(f.user(None, superuser=True))
    return client
