"""`core.statements.Statement`: a read compiled once gives, run after run with new values, the
rows its queryset would give, on PostgreSQL and SQLite; and the household detail read that way
keeps to the reader's area, whatever the grant's shape."""

import threading
import uuid

import pytest
from django.db import connection, connections
from django.db.models import Count, F, Min
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from accounts.roles import Role
from core.lookups import InValues
from core.statements import Param, Statement
from geo.models import Commune, Village
from households.models import Household, Member
from tests import factories as f

pytestmark = pytest.mark.django_db

_CODE = Param("code", Household._meta.get_field("code"))
BY_CODE = Statement(Household.objects.select_related("commune").defer("address").filter(code=_CODE))
MEMBERS_OF = Statement(
    Member.objects.filter(InValues(F("household"), Param("households")))
    .order_by("full_name")
    .values_list("household_id", "full_name", "date_of_birth")
)


@pytest.fixture
def households(ward, rural):
    return [
        f.household(
            ward,
            members=[
                f.member("Lò Văn Sáng"),
                f.member("Vi Thị Hoa", relationship="spouse", sex="female"),
            ],
        ),
        f.household(rural, members=[f.member("Hà Văn An")]),
    ]


def test_model_rows_are_the_querysets_run_after_run(households):
    for household in households * 2:
        (found,) = BY_CODE.run(code=household.code)
        assert found.pk == household.pk
        assert found.commune == household.commune  # select_related, without a query
        assert found.commune.name == household.commune.name
        assert found.get_deferred_fields() == {"address"}
    assert BY_CODE.run(code="no-such-code") == []


def test_values_list_rows_and_a_list_of_ids(households):
    expected = list(
        Member.objects.filter(household__in=[h.pk for h in households])
        .order_by("full_name")
        .values_list("household_id", "full_name", "date_of_birth")
    )
    assert MEMBERS_OF.run(households=[h.pk for h in households]) == expected
    # the same text with other values: no value of the first run stays behind
    only_second = MEMBERS_OF.run(households=[households[1].pk])
    assert only_second == [row for row in expected if row[0] == households[1].pk]
    assert MEMBERS_OF.run(households=[]) == []


def test_one_query_per_run(households):
    BY_CODE.run(code=households[0].code)
    with CaptureQueriesContext(connection) as ctx:
        BY_CODE.run(code=households[1].code)
    assert len(ctx.captured_queries) == 1


def test_what_a_statement_cannot_read_is_refused_when_it_is_built():
    with pytest.raises(TypeError):
        Statement(Household.objects.values("code"))
    with pytest.raises(TypeError):
        Statement(Household.objects.prefetch_related("members"))
    with pytest.raises(TypeError):  # a value with no field and no lookup to adapt it
        Statement(Household.objects.filter(code=Param("code"))).run(code="x")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_compiled_on_one_thread_runs_on_another(ward):
    household = f.household(ward)
    statement = Statement(Household.objects.filter(code=_CODE))
    assert [h.pk for h in statement.run(code=household.code)] == [household.pk]
    found = []

    def read():
        try:
            found.extend(h.pk for h in statement.run(code=household.code))
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert found == [household.pk]


def test_the_token_read_by_a_statement_still_refuses_a_revoked_token(ward):
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    assert client.get("/api/v1/households/").status_code == 200
    ApiToken.objects.filter(user=officer).update(revoked_at="2026-01-01T00:00:00Z")
    r = client.get("/api/v1/households/")
    assert r.status_code == 401
    assert r.json()["code"] == "token_revoked"


def test_the_household_detail_keeps_to_every_shape_of_area(ward, rural):
    v1 = Village.objects.create(commune=ward, name="Tổ 1")
    v2 = Village.objects.create(commune=ward, name="Tổ 2")
    in_v1 = f.household(ward, village=v1)
    in_v2 = f.household(ward, village=v2)
    in_rural = f.household(rural)
    in_other_province = f.household(Commune.objects.exclude(province_id="22").order_by("code")[0])

    def seen(client) -> set:
        everyone = (in_v1, in_v2, in_rural, in_other_province)
        got = {
            h.pk for h in everyone if client.get(f"/api/v1/households/{h.pk}/").status_code == 200
        }
        for h in everyone:  # every other answer is the 404 of a household that does not exist
            if h.pk not in got:
                assert client.get(f"/api/v1/households/{h.pk}/").json()["code"] == "not_found"
        return got

    national = f.client_for(f.user(None, superuser=True))
    province = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=[ward.province]))
    commune = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[rural]))
    village = f.client_for(f.user(Role.FIELD_ENUMERATOR, villages=[v1]))
    both = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[rural], villages=[v2]))
    nothing = f.client_for(f.user(Role.COMMUNE_OFFICER))
    assert seen(national) == {in_v1.pk, in_v2.pk, in_rural.pk, in_other_province.pk}
    assert seen(province) == {in_v1.pk, in_v2.pk, in_rural.pk}
    assert seen(commune) == {in_rural.pk}
    assert seen(village) == {in_v1.pk}
    assert seen(both) == {in_rural.pk, in_v2.pk}
    assert seen(nothing) == set()
    # an id that is not a UUID is a 404 too, not an error
    r = province.get("/api/v1/households/not-a-uuid/")
    assert r.status_code == 404
    assert province.get(f"/api/v1/households/{uuid.uuid4()}/").status_code == 404


def test_a_model_rows_annotations_are_set_on_it(households):
    with_count = Statement(
        Household.objects.filter(code=_CODE).annotate(
            people=Count("members"), first=Min("members__full_name")
        )
    )
    for household in households:
        (found,) = with_count.run(code=household.code)
        expected = Household.objects.annotate(
            people=Count("members"), first=Min("members__full_name")
        ).get(pk=household.pk)
        assert (found.people, found.first) == (expected.people, expected.first)
        assert found.people == household.members.count()


def _prepared_texts() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite prepares nothing")
def test_statements_are_prepared_once_and_read_the_same_rows(households):
    """On PostgreSQL a statement is prepared on its connection at its first run, then runs as
    prepared; its rows are those it reads unprepared (PG_PREPARED_STATEMENTS=0)."""
    prepared_runs = [BY_CODE.run(code=h.code)[0].pk for h in households * 3]
    assert prepared_runs == [h.pk for h in households * 3]
    by_code = [t for t in _prepared_texts() if '"households_household"."code" = ($1)' in t]
    assert len(by_code) == 1  # one prepared statement for the six runs
    listed = MEMBERS_OF.run(households=[h.pk for h in households])
    assert len(listed) == 3

    threshold = connection.connection.prepare_threshold
    connection.connection.prepare_threshold = None  # as with PG_PREPARED_STATEMENTS=0
    try:
        assert [BY_CODE.run(code=h.code)[0].pk for h in households] == prepared_runs[:2]
        assert MEMBERS_OF.run(households=[h.pk for h in households]) == listed
    finally:
        connection.connection.prepare_threshold = threshold


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite prepares nothing")
def test_an_api_request_reads_its_token_by_a_prepared_statement(ward, households):
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    for _ in range(3):
        assert client.get(f"/api/v1/households/{households[0].pk}/").status_code == 200
    texts = _prepared_texts()
    assert sum('"accounts_apitoken"."digest" = ($1)' in t for t in texts) == 1
    assert sum('"households_household"."id" = ($' in t for t in texts) >= 1
