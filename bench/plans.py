"""The plan guard: every list endpoint's SQL at province scale, EXPLAINed, failing on a
sequential scan or an index walk that filters where an index should serve.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_bench \\
        .venv/bin/python bench/plans.py [--households 400000]

Which endpoints: every path of `openapi.yaml` whose GET takes a `cursor` (the paginated lists),
so a new list is guarded without being named here. Each is called through Django's test client
(whole stack, first page of 50) by two users: a province officer of Quảng Ninh (54 communes)
and a commune officer of its smallest commune (the case where a walk of a table's key in
order, filtering out other communes' rows, costs most: issue 15's member list). Lists that take
`commune` are also called with the smallest commune; the household and member lists also with
`q=` a common family name and a full name.

Every SELECT of each call is run again under `EXPLAIN (ANALYZE, FORMAT JSON)`, and a plan fails
when, on a table of at least `BIG` rows (pg_class.reltuples):
- a node is a `Seq Scan`, or
- a node reads at least `BIG` rows that its filter (or a bitmap's recheck) then discards, over
  all its loops: the rows are found by walking an index in order (a primary-key walk) or by
  probing another table row by row, not by an index on what the call asks for.

Prints one line per call (statements, the slowest statement's plan time, the worst node) and
exits with status 1 if any plan fails. Run it on a database with surveys and statuses as well
(`bench/report_latency.py` adds them), so that the poverty and support lists are not empty.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from common import client_for, ensure_database, print_table, top_up
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.roles import Role
from geo.models import Commune
from households.models import Member

BIG = 10_000
SCHEMA = Path(__file__).resolve().parent.parent / "openapi.yaml"


def list_paths() -> list[tuple[str, set[str]]]:
    """(path, names of its query parameters) of every paginated GET without a path parameter."""
    document = yaml.safe_load(SCHEMA.read_text())
    found = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        names = {p["name"] for p in get.get("parameters", []) if p.get("in") == "query"}
        if "cursor" in names:
            found.append((path, names))
    return sorted(found)


@dataclass
class Verdict:
    ms: float = 0.0  # the slowest statement's execution time (EXPLAIN ANALYZE)
    worst: str = "-"
    failures: list[str] = field(default_factory=list)


def table_rows() -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'")
        return dict(cursor.fetchall())


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def judge(sql: str, params, sizes: dict[str, float], verdict: Verdict) -> None:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        (raw,) = cursor.fetchone()
    top = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    if top["Execution Time"] > verdict.ms:
        verdict.ms = top["Execution Time"]
    for node in nodes(top["Plan"]):
        table = node.get("Relation Name")
        if table is None or sizes.get(table, 0) < BIG:
            continue
        kind = node["Node Type"]
        removed = node.get("Rows Removed by Filter", 0) + node.get(
            "Rows Removed by Index Recheck", 0
        )
        removed *= node.get("Actual Loops", 1)
        label = f"{kind} on {table} ({removed:,.0f} rows filtered out)"
        if kind == "Seq Scan" or removed >= BIG:
            verdict.failures.append(label)
        if verdict.worst == "-" or removed > 0:
            verdict.worst = label


def check(client: APIClient, url: str, sizes: dict[str, float]) -> tuple[int, Verdict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    verdict = Verdict()
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    for sql in selects:
        # Recorded as sent (psycopg binds parameters on the client): run as they are.
        judge(sql, None, sizes, verdict)
    return len(captured.captured_queries), verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sizes = table_rows()
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
    for path, names in list_paths():
        queries = [""]
        if "commune" in names:
            queries.append(f"commune={smallest}")
        if path in ("/api/v1/households/", "/api/v1/members/"):
            queries += [f"q={family}", f"q={sample.name_folded.replace(' ', '+')}"]
        for who, client in users.items():
            for query in queries:
                url = f"{path}?{query}" if query else path
                count, verdict = check(client, url, sizes)
                failed += bool(verdict.failures)
                status = "FAIL: " + "; ".join(verdict.failures) if verdict.failures else "ok"
                rows.append((url, who, str(count), f"{verdict.ms:.1f}", verdict.worst, status))
    big = ", ".join(f"{t} {n:,.0f}" for t, n in sorted(sizes.items()) if n >= BIG)
    print(f"Tables of at least {BIG:,} rows: {big}.\n")
    print_table(("call", "user", "statements", "slowest plan ms", "worst node", "verdict"), rows)
    print(f"\n{len(rows)} calls, {failed} with a failing plan.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
