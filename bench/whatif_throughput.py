"""What-if re-assessment throughput at province scale, beside the raw read of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_bench \\
        .venv/bin/python bench/whatif_throughput.py [--households 400000] [--runs 3]

Tops the bench database up to the requested size (households, then one survey each with
`generate_demo_surveys`), then, in the same run and on the same connection:
- raw read: the SQL of the two queries the what-if reads (latest surveys with their
  household's commune, and their members' facts with birth date and sex), fetched to the last
  row through a plain psycopg cursor;
- what-if: `poverty.services.whatif_run` classifying every household's latest survey under
  Decree 351/2025 and Decree 07/2021 and recording who changes class.
Prints households/s for both; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import ensure_database, ensure_surveys, print_table, record, top_up
from django.db import connection, transaction

from core.access import SYSTEM
from poverty import services
from poverty.models import PovertyStandard, WhatIfRun


def raw_read() -> int:
    """Run the SQL of the two queries the what-if reads and fetch every row as tuples through
    a plain psycopg cursor, in one go (no ORM, nothing built from them). Returns the number
    of surveys."""
    connection.ensure_connection()
    counts = []
    for queryset in services.latest_survey_querysets():
        query, params = queryset.query.sql_with_params()
        with connection.connection.cursor() as cursor:
            cursor.execute(query, params)
            counts.append(sum(len(rows) for rows in iter(lambda: cursor.fetchmany(50_000), [])))
    return counts[0]


def whatif(standard: PovertyStandard, baseline: PovertyStandard) -> WhatIfRun:
    with transaction.atomic():
        run = services.whatif_run(actor=SYSTEM, standard=standard, baseline=baseline)
        transaction.set_rollback(True)  # leave the bench database as it was
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    ensure_surveys(assess=False)
    d351 = PovertyStandard.objects.get(code="VN-ND351-2025")
    d07 = PovertyStandard.objects.get(code="VN-ND07-2021")
    raw_read()  # warm the cache once
    reads, runs, last = [], [], None
    for _ in range(args.runs):
        started = time.perf_counter()
        households = raw_read()
        reads.append(time.perf_counter() - started)
        started = time.perf_counter()
        last = whatif(d351, d07)
        runs.append(time.perf_counter() - started)
    read_s, run_s = statistics.median(reads), statistics.median(runs)
    record(
        "what-if (two standards)",
        households / run_s,
        "households/s",
        "raw read of the surveys",
        households / read_s,
    )
    print(f"\n{households:,} households with a latest survey; median of {args.runs} runs.\n")
    print_table(
        ("step", "seconds", "households/s"),
        [
            ("raw read of the survey rows", f"{read_s:.2f}", f"{households / read_s:,.0f}"),
            (
                "what-if: read + classify ×2 + record changes",
                f"{run_s:.2f}",
                f"{households / run_s:,.0f}",
            ),
        ],
    )
    print(
        f"\nWhat-if vs raw read: {run_s / read_s:.1f}x the time. Last run: "
        f"{last.changed:,} of {last.households:,} households would change class."
    )


if __name__ == "__main__":
    main()
