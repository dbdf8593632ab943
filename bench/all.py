"""Every bench in one command, and one table of their figures, each beside its baseline.

    .venv/bin/python bench/all.py [--households 400000] [--sync-households 100000]
        [--database-url postgres://postgres@127.0.0.1:5432/poverty_bench]
        [--sync-database-url postgres://postgres@127.0.0.1:5432/poverty_sync_bench]
        [--only report_latency,plans,...]

Runs, one after another, on the bench database (generated on the first run: about 10 minutes
at 400,000 households; the registry sync bench on a database of its own, which it empties):
report_latency (it also adds the surveys, assessments and statuses the others read), plans,
registry_latency, prepared, search, dci_latency, whatif_throughput, export_throughput, load,
sync_throughput.
Each one's whole output goes to var/bench/<name>.log; each records its key figures
(`common.record`), and this prints them as one Markdown table with the commit, the machine
and the load average, for bench/README.md. A bench that fails is named at the end, and the
exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOGS = ROOT / "var" / "bench"


def benches(households: int, sync_households: int) -> list[tuple[str, list[str], str]]:
    """(script, arguments, which database) in the order they run."""
    h = ["--households", str(households)]
    return [
        ("report_latency", [*h, "--requests", "5"], "main"),
        ("plans", h, "main"),
        ("registry_latency", [*h, "--requests", "100"], "main"),
        ("prepared", [*h, "--requests", "100", "--http", "6"], "main"),
        ("search", [*h, "--requests", "30"], "main"),
        ("dci_latency", [*h, "--requests", "50"], "main"),
        ("whatif_throughput", [*h, "--runs", "3"], "main"),
        ("export_throughput", h, "main"),
        ("load", [*h, "--seconds", "20"], "main"),
        ("sync_throughput", ["--households", str(sync_households)], "sync"),
    ]


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if changed else "")


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--sync-households", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/poverty_bench"),
    )
    parser.add_argument(
        "--sync-database-url", default="postgres://postgres@127.0.0.1:5432/poverty_sync_bench"
    )
    parser.add_argument("--only", default="", help="Comma-separated bench names.")
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name}
    urls = {"main": args.database_url, "sync": args.sync_database_url}
    LOGS.mkdir(parents=True, exist_ok=True)
    started_load = os.getloadavg()[0]
    failed = []
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as summary:
        for name, arguments, database in benches(args.households, args.sync_households):
            if only and name not in only:
                continue
            env = {**os.environ, "DATABASE_URL": urls[database], "BENCH_SUMMARY": summary.name}
            log = LOGS / f"{name}.log"
            print(f"{name} ... ", end="", flush=True)
            started = time.perf_counter()
            with open(log, "w", encoding="utf-8") as out:
                status = subprocess.run(
                    [sys.executable, str(HERE / f"{name}.py"), *arguments],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                ).returncode
            print(f"{time.perf_counter() - started:.0f} s" + (f", exit {status}" if status else ""))
            if status:
                failed.append(f"{name} (exit {status}, {log})")
        lines = [json.loads(line) for line in summary.read().splitlines()]
    print(
        f"\nCommit {commit()}; {args.households:,} households ({args.sync_households:,} for the "
        f"registry sync); {os.cpu_count()} CPU cores ({platform.machine()}), PostgreSQL on the "
        f"same host; load average (1 min) {started_load:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end.\n"
    )
    print("| bench | figure | ours | unit | baseline | baseline's | ours ÷ baseline's |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for line in lines:
        base = line["baseline_value"]
        ratio = f"{line['value'] / base:.2f}" if base else ""
        shown = "" if base is None else number(base)
        print(
            f"| {line['bench']} | {line['figure']} | {number(line['value'])} | {line['unit']} | "
            f"{line['baseline']} | {shown} | {ratio} |"
        )
    if failed:
        print("\nFailed: " + "; ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
