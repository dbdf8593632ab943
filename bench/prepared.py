"""Prepared statements (`core.statements`, `PG_PREPARED_STATEMENTS`): the registry's requests
with and without them, in one process, interleaved.

    .venv/bin/python bench/prepared.py [--households 400000] [--requests 200] [--http 8]

The requests of `registry_latency.py` (the same cases and seed), in batches of 20 that
alternate between the connection preparing its statements and not (psycopg's
`prepare_threshold`, as `PG_PREPARED_STATEMENTS=0` leaves it), so that both halves see the
same machine: a shared machine's speed drifts by more than the difference within minutes.
Prints each endpoint's p50 and p99 both ways.

With `--http N`: also household detail through gunicorn (3 workers), wrk with 6 connections
as in `load.py`, against two servers, one with `PG_PREPARED_STATEMENTS=1` and one with 0,
N rounds of 6 s each, alternating which goes first; prints the median requests/s of each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from random import Random

from common import ensure_database, officer_client, print_table, record, top_up
from django.db import connection
from load import answers, gunicorn, parse, server_env, write_files, wrk_command, wrk_env
from registry_latency import api_get, cases, percentile

BATCH = 20
PORTS = {"1": 8078, "0": 8079}  # PG_PREPARED_STATEMENTS of each server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--requests", type=int, default=200, help="Per endpoint and way.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--http", type=int, default=0, help="Rounds through gunicorn.")
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
    if args.http:
        token = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Token ")
        connection.close()
        http(token, args.http)


def http(token: str, rounds: int) -> None:
    """Household detail through gunicorn, with and without prepared statements, alternating."""
    with tempfile.TemporaryDirectory() as tmp:
        detail = write_files(Path(tmp), Random(1))["detail"]
        servers = [
            gunicorn(port, 3, server_env(PG_PREPARED_STATEMENTS=setting))
            for setting, port in PORTS.items()
        ]
        try:
            for port in PORTS.values():
                if not answers(port):
                    raise SystemExit(f"gunicorn did not answer on port {port}")
            rps: dict[str, list[float]] = {"1": [], "0": []}
            for n in range(rounds + 1):  # the first round warms both up
                for setting in ("1", "0") if n % 2 else ("0", "1"):
                    done = subprocess.run(
                        [*wrk_command(6, 6), f"http://127.0.0.1:{PORTS[setting]}"],
                        env=wrk_env(detail, token),
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    result = parse(done.stdout)
                    if result["errors"] != "0":
                        raise SystemExit(f"{result['errors']} errors: {done.stdout}")
                    if n:
                        rps[setting].append(float(result["rps"]))
        finally:
            for server in servers:
                server.terminate()
                server.wait()
    prepared, plain = statistics.median(rps["1"]), statistics.median(rps["0"])
    ahead = sum(a > b for a, b in zip(rps["1"], rps["0"], strict=True))
    print(
        f"\nHousehold detail through gunicorn (3 workers, 6 connections), {rounds} rounds of 6 s "
        f"each way: prepared {prepared:.1f} requests/s ({min(rps['1']):.0f}–{max(rps['1']):.0f}), "
        f"not prepared {plain:.1f} ({min(rps['0']):.0f}–{max(rps['0']):.0f}); prepared ahead in "
        f"{ahead} of {rounds} rounds."
    )
    record(
        f"prepared statements: HTTP household detail, 6 connections ({ahead} of {rounds} rounds "
        "ahead)",
        prepared,
        "requests/s",
        "not prepared",
        plain,
    )


def timed_get(client, path: str) -> float:
    started = time.perf_counter()
    api_get(client, path)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
