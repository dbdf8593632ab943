"""Prepared statements (`core.statements`, `PG_PREPARED_STATEMENTS`): the registry's requests
with and without them, in one process, interleaved.

    .venv/bin/python bench/prepared.py [--households 400000] [--requests 200]

The requests of `registry_latency.py` (the same cases and seed), in batches of 20 that
alternate between the connection preparing its statements and not (psycopg's
`prepare_threshold`, as `PG_PREPARED_STATEMENTS=0` leaves it), so that both halves see the
same machine: a shared machine's speed drifts by more than the difference within minutes.
Prints each endpoint's p50 and p99 both ways.
"""

from __future__ import annotations

import argparse
import time
from random import Random

from common import ensure_database, officer_client, print_table, record, top_up
from django.db import connection
from registry_latency import api_get, cases, percentile

BATCH = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--requests", type=int, default=200, help="Per endpoint and way.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    client = officer_client()
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    if threshold is None:
        raise SystemExit("PG_PREPARED_STATEMENTS is off: nothing to compare.")

    rows = []
    for case in cases(Random(args.seed), args.requests):
        paths = [case.path(p) for p in case.params]
        for path in paths[:10]:  # warm-up, both ways
            for way in (threshold, None):
                connection.connection.prepare_threshold = way
                api_get(client, path)
        ms = {threshold: [], None: []}
        for start in range(0, len(paths), BATCH):
            order = (threshold, None) if start // BATCH % 2 else (None, threshold)
            for way in order:
                connection.connection.prepare_threshold = way
                for path in paths[start : start + BATCH]:
                    ms[way].append(timed_get(client, path))
        connection.connection.prepare_threshold = threshold
        prepared, plain = ms[threshold], ms[None]
        rows.append(
            (
                case.name,
                f"{percentile(prepared, 50):.2f}",
                f"{percentile(prepared, 99):.1f}",
                f"{percentile(plain, 50):.2f}",
                f"{percentile(plain, 99):.1f}",
                f"{percentile(prepared, 50) / percentile(plain, 50):.2f}",
            )
        )
    print(f"\n{args.requests} requests per endpoint each way, in alternating batches of {BATCH}.\n")
    print_table(
        (
            "endpoint",
            "prepared p50 ms",
            "prepared p99 ms",
            "not prepared p50 ms",
            "not prepared p99 ms",
            "p50 ratio",
        ),
        rows,
    )
    for row in rows:
        record(
            f"prepared statements: {row[0]} p50 (p99 {row[2]})",
            float(row[1]),
            "ms",
            "not prepared p50",
            float(row[3]),
        )


def timed_get(client, path: str) -> float:
    started = time.perf_counter()
    api_get(client, path)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
