"""The plan guard's rule, shared by `bench/plans.py` (the province-scale run) and
`tests/test_plan_guard.py` (the same calls on a small register, in CI).

Which endpoints: every path of `openapi.yaml` whose GET takes a `cursor` (the paginated lists),
so a new list is guarded without being named here. Each is called through Django's test client
(whole stack, first page) by each given user. Lists that take `commune` are also called with
the smallest commune; the household and member lists also with `q=` a common family name and a
full name.

Every SELECT of each call is run again under `EXPLAIN (ANALYZE, FORMAT JSON)`, and a plan fails
when, on a table of at least `big` rows (pg_class.reltuples):
- a node is a `Seq Scan`, or
- a node reads at least `big` rows that its filter (or a bitmap's recheck) then discards, over
  all its loops: the rows are found by walking an index in order (a primary-key walk) or by
  probing another table row by row, not by an index on what the call asks for.

On a small register a sequential scan is often the planner's cheapest honest choice, so the
small run plans with `enable_seqscan = off` (`no_seqscan=True`): a `Seq Scan` that remains is one
no index could replace. The planner then reads a whole index through a bitmap where it would
read the table (a bitmap has no order, so it is no walk); there the discarded rows are judged
for ordered index walks only (`Index Scan`, `Index Only Scan`), the primary-key walk's kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


def calls(commune: str, family: str, full_name: str) -> list[str]:
    """Every guarded URL: each list bare, by `commune`, and (households, members) by name."""
    urls = []
    for path, names in list_paths():
        queries = [""]
        if "commune" in names:
            queries.append(f"commune={commune}")
        if path in ("/api/v1/households/", "/api/v1/members/"):
            queries += [f"q={family}", f"q={full_name.replace(' ', '+')}"]
        urls += [f"{path}?{query}" if query else path for query in queries]
    return urls


@dataclass
class Verdict:
    statements: int = 0
    ms: float = 0.0  # the slowest statement's execution time (EXPLAIN ANALYZE)
    worst: str = "-"
    failures: list[str] = field(default_factory=list)


def table_rows() -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'")
        return dict(cursor.fetchall())


def nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


ORDERED = ("Index Scan", "Index Only Scan")


def judge(
    sql: str, sizes: Mapping[str, float], verdict: Verdict, *, big: int, walks_only: bool = False
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (raw,) = cursor.fetchone()
    top = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    verdict.ms = max(verdict.ms, top["Execution Time"])
    for node in nodes(top["Plan"]):
        table = node.get("Relation Name")
        if table is None or sizes.get(table, 0) < big:
            continue
        kind = node["Node Type"]
        removed = node.get("Rows Removed by Filter", 0) + node.get(
            "Rows Removed by Index Recheck", 0
        )
        removed *= node.get("Actual Loops", 1)
        label = f"{kind} on {table} ({removed:,.0f} rows filtered out)"
        if kind == "Seq Scan" or (removed >= big and (kind in ORDERED or not walks_only)):
            verdict.failures.append(label)
        if verdict.worst == "-" or removed > 0:
            verdict.worst = label


def check(client, url: str, *, big: int, no_seqscan: bool = False) -> Verdict:
    """Call `url` as `client` and judge the plan of every SELECT it sent."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    sizes = table_rows()
    verdict = Verdict(statements=len(captured.captured_queries))
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    with connection.cursor() as cursor:
        cursor.execute(f"SET enable_seqscan = {'off' if no_seqscan else 'on'}")
    try:
        for sql in selects:
            # Recorded as sent (psycopg binds parameters on the client): run as they are.
            judge(sql, sizes, verdict, big=big, walks_only=no_seqscan)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
    return verdict
