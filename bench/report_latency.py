"""Report latency at province scale: each report through the API beside the bare GROUP BY
SQL of its main query, on the same connection.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench \\
        .venv/bin/python bench/report_latency.py [--households 100000] [--requests 10] [--explain]

Tops the bench database up (households; then one survey each, assessed, with official
statuses for a share of the poor and near-poor: `generate_demo_surveys --assess`), then calls
each report `--requests` times as a Quảng Ninh province officer (Django's test client, token
header, whole stack, no HTTP server) and runs the bare SQL as many times. Prints the median ms
of both and the number of SQL statements per API call; `--explain` prints the plan
(EXPLAIN ANALYZE) of every statement of each report. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import (
    ensure_database,
    ensure_surveys,
    officer_client,
    print_table,
    record,
    top_up,
)
from django.db import connection

from geo.models import Commune
from poverty.models import OfficialStatus
from reports import counts
from reports.models import HouseholdCount

AS_OF = "2026-12-31"
REPORTS = [
    ("poverty-rates", {"as_of": AS_OF}),
    ("poverty-rates", {"group_by": "year", "year_from": 2022, "year_to": 2026}),
    ("transitions", {"date_from": "2022-01-01", "date_to": "2026-12-31"}),
    ("alkire-foster", {"as_of": AS_OF}),
    ("deprivation-profile", {"as_of": AS_OF}),
    ("target-progress", {}),
    ("uplift", {}),
    ("budget-execution", {"group_by": "commune"}),
    ("coverage", {"period": 2026}),
]
# The bare SQL of each report's main query (province 22's communes as $1): what the report
# adds is the area and filter predicates, per-standard conditional counts and the envelope.
_PER_BIT = ", ".join(f"count(*) FILTER (WHERE s.deprived_mask & {1 << b} <> 0)" for b in range(12))
BARE = {
    "poverty-rates": """
        SELECT h.commune_id, count(*) FILTER (WHERE s.classification = 'poor'),
               count(*) FILTER (WHERE s.classification = 'near_poor')
        FROM poverty_officialstatus s JOIN households_household h ON h.id = s.household_id
        WHERE h.commune_id = ANY(%s) AND s.valid_to IS NULL GROUP BY 1""",
    "transitions": """
        SELECT h.commune_id, s.event, count(*)
        FROM poverty_officialstatus s JOIN households_household h ON h.id = s.household_id
        WHERE h.commune_id = ANY(%s) AND s.valid_from BETWEEN '2022-01-01' AND '2026-12-31'
        GROUP BY 1, 2""",
    "alkire-foster": """
        SELECT h.commune_id, count(*), sum(s.deprivation_count)
        FROM poverty_officialstatus s JOIN households_household h ON h.id = s.household_id
        WHERE h.commune_id = ANY(%s) AND s.valid_to IS NULL GROUP BY 1""",
    # each status's copy of its assessment's results: a count per indicator bit (12 here)
    "deprivation-profile": f"""
        SELECT h.commune_id, s.indicator_codes, {_PER_BIT}
        FROM poverty_officialstatus s JOIN households_household h ON h.id = s.household_id
        WHERE h.commune_id = ANY(%s) AND s.valid_to IS NULL GROUP BY 1, 2""",
}


class Recorder:
    """An execute_wrapper keeping each statement with its parameters and the time in SQL."""

    def __init__(self):
        self.statements: list[tuple[str, object]] = []
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000
            self.statements.append((sql, params))


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    ensure_surveys(assess=True)
    print(
        f"{OfficialStatus.objects.filter(valid_to__isnull=True).count():,} current official "
        "statuses."
    )
    wrong = counts.differences()
    print(
        f"Maintained household counts: {HouseholdCount.objects.count():,} rows, "
        + (f"{len(wrong)} keys DIFFER from the register" if wrong else "exact")
    )
    communes = list(Commune.objects.filter(province_id="22").values_list("code", flat=True))
    client = officer_client()
    rows = []
    for slug, params in REPORTS:
        url = f"/api/v1/reports/{slug}/"
        assert client.get(url, params).status_code == 200, client.get(url, params).content
        recorder = Recorder()
        with connection.execute_wrapper(recorder):
            client.get(url, params)
        api = median_ms(lambda url=url, params=params: client.get(url, params), args.requests)
        bare = "-"
        if slug in BARE:

            def run_bare(sql=BARE[slug]):
                with connection.cursor() as cursor:
                    cursor.execute(sql, [communes])
                    cursor.fetchall()

            run_bare()
            bare = f"{median_ms(run_bare, args.requests):.1f}"
        label = slug + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
        n = len(recorder.statements)
        rows.append((label, f"{api:.1f}", f"{recorder.ms:.1f}", bare, str(n)))
        if bare == "-":
            record(f"report {label}", api, "ms", "its own SQL", recorder.ms)
        else:
            record(f"report {label}", api, "ms", "bare GROUP BY", float(bare))
        if args.explain:
            print(f"\n## {label}")
            for sql, sql_params in recorder.statements:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, sql_params)
                    print(sql[:300] + " ...")
                    print("\n".join(r[0] for r in cursor.fetchall()) + "\n")
    print(f"\nMedian of {args.requests} calls (ms):\n")
    print_table(
        ("report", "API ms", "API's SQL ms (one call)", "bare GROUP BY SQL ms", "API queries"),
        rows,
    )


if __name__ == "__main__":
    main()
