"""The plan guard in CI (issue 15): every paginated list of `openapi.yaml`, called as a
province officer and as the officer of the smallest commune, on a small synthetic register,
with every SELECT's plan checked by the rule of `bench/planguard.py`.

At this size a sequential scan is often the cheapest honest plan, so the plans are made with
sequential scans disabled: a `Seq Scan` left is one no index could replace, and an ordered index
walk that reads and discards at least `BIG` rows (a primary-key walk filtering out other
communes' rows: issue 15's member list) fails as at province scale. `bench/plans.py` runs the
same calls on the 400,000-household bench database.
"""

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.roles import Role
from bench.planguard import calls, check
from geo.models import Commune
from households.models import Member
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's"
)

HOUSEHOLDS = 20_000
BIG = 1_000


@pytest.fixture
def register(db):
    call_command("generate_demo_data", households=HOUSEHOLDS, verbosity=0)
    call_command("generate_demo_surveys", assess=True, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # this transaction's rows count as live (rolled back after)


def test_every_list_plan_uses_an_index_for_what_it_asks(register):
    smallest = (
        Commune.objects.filter(province_id="22", household_seq__gt=0)
        .order_by("household_seq")
        .first()
    )
    users = {
        "province": factories.client_for(factories.user(Role.PROVINCE_OFFICER, provinces=["22"])),
        "commune": factories.client_for(factories.user(Role.COMMUNE_OFFICER, communes=[smallest])),
    }
    sample = Member.objects.filter(household__commune__province_id="22").order_by("pk").first()
    urls = calls(smallest.code, sample.name_folded.split()[0], sample.name_folded)
    assert len(urls) > 40  # every list of the API, found from openapi.yaml
    failures = []
    for url in urls:
        for who, client in users.items():
            verdict = check(client, url, big=BIG, no_seqscan=True)
            failures += [f"{url} as {who}: {failure}" for failure in verdict.failures]
    assert failures == []
