"""Registry API latency at province scale, beside the same reads run as raw SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_bench \\
        .venv/bin/python bench/registry_latency.py [--households 400000] [--requests 200]

Creates the database if missing, migrates it, tops it up with synthetic households
(`generate_demo_data`) to the requested size, then times each endpoint through Django's test
client (the whole stack: middleware, token authentication, area scoping, filters, ORM,
serialisation; no HTTP server or network) and the essential SQL of the same read on the
same connection. Prints the timings; asserts nothing about them.
"""

from __future__ import annotations

import argparse
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from random import Random

from common import ensure_database, officer_client, print_table, record, top_up
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from geo.models import Commune
from households.models import DuplicateCandidate, Household, Member
from households.search import search_words

PAGE = 50
WARM_UP = 10
HOUSEHOLD_PAGE_SQL = f"SELECT * FROM households_household h WHERE {{}} ORDER BY h.code LIMIT {PAGE}"
MEMBERS_OF_SQL = "SELECT * FROM households_member WHERE household_id = ANY(%s)"
# The API's order (issue 15): by household code, then member id.
MEMBER_PAGE_SQL = (
    "SELECT m.*, h.code FROM households_member m JOIN households_household h "
    f"ON h.id = m.household_id WHERE h.commune_id = %s ORDER BY h.code, m.id LIMIT {PAGE}"
)


@dataclass
class Case:
    """One endpoint: the API path for a parameter, and the raw SQL read it stands for."""

    name: str
    path: Callable[[str], str]
    raw: Callable[[str], object]
    params: Sequence[str]


# ---------------------------------------------------------------------------- set-up


# ---------------------------------------------------------------------------- raw SQL reads


def fetch(query: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def households_with_members(where: str, params: list) -> None:
    """A page of households (by code) and all their members: what a list page shows."""
    rows = fetch(HOUSEHOLD_PAGE_SQL.format(where), params)
    fetch(MEMBERS_OF_SQL, [[row[0] for row in rows]])


# The household search of households.search written by hand: the members whose name has
# every word at a word start, best rank per household (0 the whole name, 1 its start, 2 the
# words), with the households whose address has the words (rank 3); a page by (rank, code).
RANKED_SEARCH_SQL = f"""
SELECT h.*, r.rank FROM (
    SELECT household_id, MIN(rank) AS rank FROM (
        SELECT household_id,
               CASE WHEN name_folded = %(phrase)s THEN 0
                    WHEN name_folded LIKE %(prefix)s THEN 1 ELSE 2 END AS rank
          FROM households_member WHERE {{names}}
        UNION ALL
        SELECT id, 3 FROM households_household WHERE {{addresses}}
    ) AS matches GROUP BY household_id
) AS r JOIN households_household h ON h.id = r.household_id
WHERE h.commune_id = ANY(%(communes)s)
ORDER BY r.rank, h.code LIMIT {PAGE}
"""


def raw_search(text: str, communes: list[str]) -> None:
    words = search_words(text)
    params = {f"w{i}": f"% {w}%" for i, w in enumerate(words)}

    def each(column: str) -> str:
        return " AND ".join(f"(' ' || {column}) LIKE %(w{i})s" for i in range(len(words)))

    phrase = " ".join(words)
    query = RANKED_SEARCH_SQL.format(names=each("name_folded"), addresses=each("search_text"))
    params.update(phrase=phrase, prefix=f"{phrase}%", communes=communes)
    rows = fetch(query, params)
    fetch(MEMBERS_OF_SQL, [[row[0] for row in rows]])


def province_communes() -> list[str]:
    """The communes of province 22 that hold households (the bench officer's area)."""
    return list(
        Commune.objects.filter(province_id="22", household_seq__gt=0).values_list("code", flat=True)
    )


def cases(rng: Random, count: int) -> list[Case]:
    communes = province_communes()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("SELECT id FROM households_household ORDER BY random() LIMIT %s", [count])
        household_ids = [str(row[0]) for row in cursor.fetchall()]
    names = list(
        Member.objects.filter(household_id__in=household_ids).values_list("name_folded", flat=True)
    )
    pick_communes = [rng.choice(communes) for _ in range(count)]
    return [
        Case(
            "GET /households/?commune=",
            lambda c: f"/api/v1/households/?commune={c}",
            lambda c: households_with_members("h.commune_id = %s", [c]),
            pick_communes,
        ),
        Case(
            "GET /households/?q=<name>",
            lambda q: f"/api/v1/households/?q={q.replace(' ', '+')}",
            lambda q: raw_search(q, communes),
            [rng.choice(names) for _ in range(count)],
        ),
        Case(
            "GET /households/<id>/",
            lambda pk: f"/api/v1/households/{pk}/",
            lambda pk: households_with_members("h.id = %s", [pk]),
            household_ids,
        ),
        Case(
            "GET /members/?commune=",
            lambda c: f"/api/v1/members/?commune={c}",
            lambda c: fetch(MEMBER_PAGE_SQL, [c]),
            pick_communes,
        ),
        # What every list request costs before its page: the token, the area, the filters
        # and an empty page (no rows, so no members, flags or read record to write).
        Case(
            "floor: GET /members/?household=<none>",
            lambda pk: f"/api/v1/members/?household={pk}",
            lambda pk: fetch(MEMBERS_OF_SQL, [[pk]]),
            [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)],
        ),
    ]


# ---------------------------------------------------------------------------- measuring


def percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class SqlTimer:
    """A database execute wrapper: time spent in SQL and statements run since `reset`."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.ms, self.count = 0.0, 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000
            self.count += 1


@dataclass
class Timings:
    total: list[float]  # ms per call
    in_sql: list[float]  # ms per call spent executing SQL
    queries: int  # SQL statements per call


def timed(call: Callable[[str], object], params: Sequence[str]) -> Timings:
    """Times each call, after a warm-up on the first parameters."""
    for param in params[:WARM_UP]:
        call(param)
    timer = SqlTimer()
    timings = Timings([], [], 0)
    with connection.execute_wrapper(timer):
        for param in params:
            timer.reset()
            started = time.perf_counter()
            call(param)
            timings.total.append((time.perf_counter() - started) * 1000)
            timings.in_sql.append(timer.ms)
    timings.queries = timer.count
    return timings


def api_get(client: APIClient, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")


def measure(client: APIClient, case: Case) -> tuple[str, ...]:
    api = timed(lambda p: api_get(client, case.path(p)), case.params)
    raw = timed(case.raw, case.params)
    api50, raw50 = percentile(api.total, 50), percentile(raw.total, 50)
    return (
        case.name,
        f"{api50:.1f}",
        f"{percentile(api.total, 99):.1f}",
        f"{raw50:.1f}",
        f"{percentile(raw.total, 99):.1f}",
        f"{api50 / raw50:.1f}x",
        f"{percentile(api.in_sql, 50):.1f}",
        str(api.queries),
    )


HEADER = (
    "endpoint",
    "API p50 ms",
    "API p99 ms",
    "raw SQL p50 ms",
    "raw SQL p99 ms",
    "ratio (p50)",
    "API's own SQL p50 ms",
    "API queries",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--requests", type=int, default=200, help="Per endpoint.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ensure_database()
    top_up(args.households)
    print(
        f"Database {settings.DATABASES['default']['NAME']}: "
        f"{Household.objects.count():,} households, {Member.objects.count():,} members, "
        f"{DuplicateCandidate.objects.count():,} possible duplicates."
    )
    client = officer_client()
    rows = [measure(client, case) for case in cases(Random(args.seed), args.requests)]
    print(f"\n{args.requests} requests per endpoint, page size {PAGE}, after {WARM_UP} warm-up.\n")
    print_table(HEADER, rows)
    for row in rows:
        record(f"{row[0]} p50 (p99 {row[2]})", float(row[1]), "ms", "raw SQL p50", float(row[3]))


if __name__ == "__main__":
    main()
