"""Search (`?q=`, households.search) at province scale: API latency beside the best hand-written
SQL, and the plans checked for sequential scans of the register.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_search_bench \\
        .venv/bin/python bench/search.py [--households 400000] [--requests 100]

Creates, migrates and tops up the database as registry_latency.py does, then VACUUM ANALYZEs
the register (what autovacuum does after a load: it also merges the trigram indexes' pending
lists). For each kind of query (a member's full name as written, with its marks; a family
name and a given name; a citizen ID; a phone number; a single family name), it times the
household list and, for names and IDs, the member list, through Django's test client as a
province officer of province 22, beside the same ranked read written by hand (every match
ranked, then the page cut). Then it runs EXPLAIN on the search statements of every call (one
per rank the page reads) and exits non-zero if a plan reads `households_household` or
`households_member` with a Seq Scan. A single family name matches up to half the register: it
runs a tenth as many queries (the hand SQL ranks every match).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from urllib.parse import quote_plus

from common import ensure_database, officer_client, print_table, record, top_up
from django.db import connection
from django.test.utils import CaptureQueriesContext
from registry_latency import (
    MEMBERS_OF_SQL,
    PAGE,
    api_get,
    fetch,
    percentile,
    province_communes,
    raw_search,
    timed,
)

from households.models import Household, Member
from households.search import search_words

REGISTER = {"households_household", "households_member"}
ID_SEARCH_SQL = f"""
SELECT h.* FROM households_household h
WHERE h.id IN (SELECT household_id FROM households_member WHERE citizen_id = %(q)s)
  AND h.commune_id = ANY(%(communes)s)
ORDER BY h.code LIMIT {PAGE}
"""
PHONE_SEARCH_SQL = f"""
SELECT h.* FROM households_household h
WHERE h.phone = %(q)s AND h.commune_id = ANY(%(communes)s) ORDER BY h.code LIMIT {PAGE}
"""
MEMBER_SEARCH_SQL = f"""
SELECT m.*, h.code FROM households_member m JOIN households_household h ON h.id = m.household_id
WHERE {{names}} AND h.commune_id = ANY(%(communes)s)
ORDER BY CASE WHEN m.name_folded = %(phrase)s THEN 0
              WHEN m.name_folded LIKE %(prefix)s THEN 1 ELSE 2 END, h.code, m.id
LIMIT {PAGE}
"""


@dataclass
class Kind:
    name: str
    queries: list[str]


def sample(rng: Random, count: int) -> list[Kind]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            "SELECT m.full_name, m.citizen_id, h.phone FROM households_member m "
            "JOIN households_household h ON h.id = m.household_id "
            "WHERE m.citizen_id IS NOT NULL AND h.phone <> '' ORDER BY random() LIMIT %s",
            [count],
        )
        rows = cursor.fetchall()
    full = [name for name, _, _ in rows]
    family = [f"{n.split()[0]} {n.split()[-1]}" for n in full]
    surnames = [n.split()[0] for n in full]
    return [
        Kind("full name", full),
        Kind("family + given name", family),
        Kind("citizen ID", [cid for _, cid, _ in rows]),
        Kind("phone", [phone for _, _, phone in rows]),
        Kind("family name alone", [rng.choice(surnames) for _ in range(max(10, count // 10))]),
    ]


def raw_members(text: str, communes: list[str]) -> None:
    words = search_words(text)
    params = {f"w{i}": f"% {w}%" for i, w in enumerate(words)}
    names = " AND ".join(f"(' ' || m.name_folded) LIKE %(w{i})s" for i in range(len(words)))
    phrase = " ".join(words)
    params.update(phrase=phrase, prefix=f"{phrase}%", communes=communes)
    fetch(MEMBER_SEARCH_SQL.format(names=names), params)


def raw_households(kind: str, communes: list[str]) -> Callable[[str], None]:
    def by(sql: str) -> Callable[[str], None]:
        def run(q: str) -> None:
            rows = fetch(sql, {"q": q, "communes": communes})
            fetch(MEMBERS_OF_SQL, [[row[0] for row in rows]])

        return run

    if kind == "citizen ID":
        return by(ID_SEARCH_SQL)
    if kind == "phone":
        return by(PHONE_SEARCH_SQL)
    return lambda q: raw_search(q, communes)


def seq_scans(plan: dict) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in REGISTER:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", ()):
        found += seq_scans(child)
    return found


def search_statements(client, path: str) -> list[str]:
    """The statements of a call that read the search: one per rank (tier) the page reads; one
    for a citizen ID or phone number."""
    with CaptureQueriesContext(connection) as ctx:
        api_get(client, path)
    return [q["sql"] for q in ctx.captured_queries if "search_key" in q["sql"]]


def explain(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--requests", type=int, default=100, help="Per kind of query.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ensure_database()
    top_up(args.households)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE households_member")
        cursor.execute("VACUUM ANALYZE households_household")
    print(f"{Household.objects.count():,} households, {Member.objects.count():,} members.")
    client = officer_client()
    communes = province_communes()
    rows, failures, plans = [], [], 0
    for kind in sample(Random(args.seed), args.requests):
        lists = [("households", raw_households(kind.name, communes))]
        if kind.name not in ("phone", "family name alone"):
            lists.append(("members", lambda q: raw_members(q, communes)))
        if kind.name == "citizen ID":
            lists = lists[:1]  # the member list's ID search is the same unique-index lookup
        for endpoint, raw in lists:
            path = f"/api/v1/{endpoint}/?q="
            api = timed(lambda q, p=path: api_get(client, p + quote_plus(q)), kind.queries)
            hand = timed(raw, kind.queries)
            scans = []
            for q in kind.queries:
                for sql in search_statements(client, path + quote_plus(q)):
                    plans += 1
                    scans += [(q, table) for table in seq_scans(explain(sql))]
            failures += [f"{endpoint} ?q={q}: Seq Scan on {table}" for q, table in scans]
            api50, raw50 = percentile(api.total, 50), percentile(hand.total, 50)
            record(f"search /{endpoint}/?q=<{kind.name}> p50", api50, "ms", "hand SQL", raw50)
            rows.append(
                (
                    f"GET /{endpoint}/?q=<{kind.name}>",
                    f"{api50:.1f}",
                    f"{percentile(api.total, 99):.1f}",
                    f"{percentile(api.in_sql, 50):.1f}",
                    f"{raw50:.1f}",
                    f"{percentile(hand.total, 99):.1f}",
                    f"{api50 / raw50:.1f}x",
                    str(api.queries),
                    str(len(scans)),
                )
            )
    print(f"\nPage size {PAGE}; times in ms; {args.requests} queries of each kind.\n")
    print_table(
        (
            "endpoint",
            "API p50",
            "API p99",
            "API's SQL p50",
            "hand SQL p50",
            "hand SQL p99",
            "ratio (p50)",
            "API queries",
            "seq scans",
        ),
        rows,
    )
    print(f"\n{plans} plans checked.")
    if failures:
        print("\n".join(["Sequential scans of the register:", *failures[:20]]))
        sys.exit(1)


if __name__ == "__main__":
    main()
