"""Register export throughput at province scale, beside PostgreSQL writing the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_bench \\
        .venv/bin/python bench/export_throughput.py [--households 400000] [--runs 1]

Tops the bench database up to the requested size, then, for the province officer every
latency bench reads as (Quảng Ninh, province 22), in the same run:
- baseline: the export's own query (`households.exports.export_rows` over the job's households,
  `households_of`) wrapped in `COPY (...) TO STDOUT (FORMAT csv)`, read to its end: the
  rows as PostgreSQL writes them, with nothing done in Python;
- export: the `export_households` job (CSV) as the worker runs it (claim, execute: read, mask,
  write the file with its progress, record the personal read), its file removed afterwards.
Prints rows/s for both; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import ensure_database, officer_client, print_table, record, top_up
from django.contrib.auth import get_user_model
from django.db import connection

from core import jobs
from households import exports


def copy_rows(job) -> int:
    """The export's query for `job` (its households as the job reads them) as CSV written by
    PostgreSQL (COPY … TO STDOUT), read to the end. Returns the number of rows."""
    households = exports.households_of(job)
    query, params = exports.export_rows(households).query.sql_with_params()
    connection.ensure_connection()
    rows = 0
    with connection.connection.cursor() as cursor:
        statement = f"COPY ({query}) TO STDOUT (FORMAT csv)"
        with cursor.copy(cursor.mogrify(statement, params)) as copy:
            for block in copy:
                rows += bytes(block).count(b"\n")
    return rows


def export(job) -> tuple[int, float]:
    """The queued export `job` run as the worker runs it; (rows, seconds). Its file is
    removed."""
    started = time.perf_counter()
    claimed = jobs.claim(job.pk)
    jobs.execute(claimed, heartbeat=False)
    seconds = time.perf_counter() - started
    claimed.refresh_from_db()
    if claimed.status != "succeeded":
        raise SystemExit(f"The export failed: {claimed.error}")
    exports.export_path(claimed).unlink()
    return claimed.counts["rows"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    officer_client()  # the bench officer, with the province as area
    user = get_user_model().objects.get(username="bench-province-officer")
    copies, runs, rows = [], [], 0
    for run in range(args.runs):
        job = jobs.enqueue("export_households", {"format": "csv"}, user)
        if run == 0:
            copy_rows(job)  # warm the cache once
        started = time.perf_counter()
        copied = copy_rows(job)
        copies.append(time.perf_counter() - started)
        rows, seconds = export(job)
        runs.append(seconds)
        if rows != copied:
            raise SystemExit(f"The export wrote {rows:,} rows, COPY {copied:,}.")
    copy_s, run_s = statistics.median(copies), statistics.median(runs)
    record(
        "register export (CSV, a province)",
        rows / run_s,
        "rows/s",
        "COPY of the same query to CSV",
        rows / copy_s,
    )
    print(f"\n{rows:,} rows (present members and households without one); {args.runs} run(s).\n")
    print_table(
        ("step", "seconds", "rows/s"),
        [
            ("COPY (the export's query) TO STDOUT CSV", f"{copy_s:.2f}", f"{rows / copy_s:,.0f}"),
            ("export job (read, mask, write CSV file)", f"{run_s:.2f}", f"{rows / run_s:,.0f}"),
        ],
    )


if __name__ == "__main__":
    main()
