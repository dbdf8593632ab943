"""The plan guard at province scale: every list endpoint's SQL EXPLAINed on the bench
database, failing on a sequential scan or an index walk that filters where an index should serve
(the rule and the calls: `bench/planguard.py`; the same calls run in CI on a small register,
`tests/test_plan_guard.py`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_bench \\
        .venv/bin/python bench/plans.py [--households 400000]

Users: a province officer of Quảng Ninh (54 communes) and a commune officer of its smallest
commune (the case where a walk of a table's key in order, filtering out other communes' rows,
costs most: issue 15's member list).

Prints one line per call (statements, the slowest statement's plan time, the worst node) and
exits with status 1 if any plan fails. Run it on a database with surveys and statuses as well
(`bench/report_latency.py` adds them), so that the poverty and support lists are not empty.
"""

from __future__ import annotations

import argparse
import sys

from common import client_for, ensure_database, print_table, record, top_up
from django.db import connection
from planguard import calls, check, table_rows

from accounts.roles import Role
from geo.models import Commune
from households.models import Member

BIG = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    smallest = (
        Commune.objects.filter(province_id="22", household_seq__gt=0)
        .order_by("household_seq")
        .values_list("code", flat=True)
        .first()
    )
    users = {
        "province": client_for("bench-province-officer", Role.PROVINCE_OFFICER, provinces=["22"]),
        "commune": client_for("bench-commune-officer", Role.COMMUNE_OFFICER, communes=[smallest]),
    }
    sample = Member.objects.filter(household__commune__province_id="22").order_by("pk").first()
    family = sample.name_folded.split()[0]
    rows, failed = [], 0
    for url in calls(smallest, family, sample.name_folded):
        for who, client in users.items():
            verdict = check(client, url, big=BIG)
            failed += bool(verdict.failures)
            status = "FAIL: " + "; ".join(verdict.failures) if verdict.failures else "ok"
            rows.append(
                (url, who, str(verdict.statements), f"{verdict.ms:.1f}", verdict.worst, status)
            )
    sizes = {t: n for t, n in table_rows().items() if n >= BIG}
    big = ", ".join(f"{t} {n:,.0f}" for t, n in sorted(sizes.items()))
    print(f"Tables of at least {BIG:,} rows: {big}.\n")
    print_table(("call", "user", "statements", "slowest plan ms", "worst node", "verdict"), rows)
    print(f"\n{len(rows)} calls, {failed} with a failing plan.")
    record("plan guard: list calls with a failing plan", failed, "calls", "calls", len(rows))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
