"""DCI sync search (`POST /dci/registry/sync/search`) at province scale, beside hand SQL that
reads the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_bench \\
        .venv/bin/python bench/dci_latency.py [--households 400000] [--requests 50]

A partner bound to a province officer of Quảng Ninh (personal data shown), with a token, calls
the sync search through the whole stack (Django's test client): a household by its code
(`idtype-value`, one Group record with its members) and a commune's households (`predicate`
commune eq, a page of 20 Group records, with `total_count`). The hand SQL reads the same
households and their members. Prints p50/p99 of each beside the SQL's p50.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from datetime import UTC, datetime
from random import Random

from common import client_for, ensure_database, print_table, record, top_up
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from registry_latency import province_communes
from rest_framework.test import APIClient

from accounts.roles import Role
from core.access import SYSTEM
from dci import services
from dci.models import Partner

PAGE = 20


def partner_client() -> tuple[APIClient, str]:
    """The bench partner (registered on the first run; a new secret each run) and a client."""
    client_for("bench-dci-partner", Role.PROVINCE_OFFICER, provinces=["22"])  # user and grant
    user = get_user_model().objects.get(username="bench-dci-partner")
    partner = Partner.objects.filter(user=user).first()
    if partner is None:
        partner, secret = services.partner_register(
            actor=SYSTEM,
            user=user,
            name="bench",
            sender_id="bench",
            scopes=["registry.search"],
            callback_uris=["http://127.0.0.1:9/callback"],
            public_key="",
            signature_required=False,
        )
    else:
        secret = services.partner_new_secret(actor=SYSTEM, partner=partner)
    answer = APIClient().post(
        "/dci/oauth2/client/token",
        {
            "grant_type": "client_credentials",
            "client_id": partner.client_id,
            "client_secret": secret,
        },
    )
    assert answer.status_code == 200, answer.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access_token']}")
    return client, partner.sender_id


def envelope(sender: str, query_type: str, query, **criteria) -> str:
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    return json.dumps(
        {
            "header": {
                "version": "1.0.0",
                "message_id": str(uuid.uuid4()),
                "message_ts": now,
                "action": "search",
                "sender_id": sender,
                "receiver_id": settings.DCI_REGISTRY_ID,
                "total_count": 1,
                "is_msg_encrypted": False,
            },
            "message": {
                "transaction_id": f"t-{uuid.uuid4().hex[:10]}",
                "search_request": [
                    {
                        "reference_id": "r1",
                        "timestamp": now,
                        "search_criteria": {
                            "version": "1.0.0",
                            "query_type": query_type,
                            "query": query,
                            **criteria,
                        },
                    }
                ],
            },
        }
    )


def timed(calls) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def p(values: list[float], q: int) -> float:
    return values[min(len(values) - 1, len(values) * q // 100)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    client, sender = partner_client()
    rng = Random(1)
    communes = province_communes()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.3)")
        cursor.execute(
            "SELECT code FROM households_household ORDER BY random() LIMIT %s", [args.requests]
        )
        codes = [row[0] for row in cursor.fetchall()]

    def search(body: str) -> None:
        response = client.post("/dci/registry/sync/search", body, content_type="application/json")
        body = response.json()
        assert "message" in body, body
        answer = body["message"]["search_response"][0]
        assert response.status_code == 200 and answer["status"] == "succ", answer

    def by_code(code: str) -> str:
        return envelope(sender, "idtype-value", {"type": "HOUSEHOLD_CODE", "value": code})

    def by_commune(commune: str) -> str:
        query = [
            {
                "expression1": {
                    "attribute_name": "commune_code",
                    "operator": "eq",
                    "attribute_value": commune,
                }
            }
        ]
        return envelope(
            sender, "predicate", query, pagination={"page_size": PAGE, "page_number": 1}
        )

    def sql(statement: str, value: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, [value])
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT * FROM households_member WHERE household_id = ANY(%s)", [ids])
            cursor.fetchall()

    one = "SELECT id FROM households_household WHERE code = %s"
    page = f"SELECT id FROM households_household WHERE commune_id = %s ORDER BY code LIMIT {PAGE}"
    picks = [rng.choice(communes) for _ in range(args.requests)]
    for value in codes[:5]:
        search(by_code(value))  # warm-up
    rows = []
    for label, make, statement, values in (
        ("household by code (idtype-value)", by_code, one, codes),
        (f"a commune's households (predicate, page of {PAGE})", by_commune, page, picks),
    ):
        api = timed([lambda v=v, make=make: search(make(v)) for v in values])
        raw = timed([lambda v=v, statement=statement: sql(statement, v) for v in values])
        rows.append((label, f"{p(api, 50):.1f}", f"{p(api, 99):.1f}", f"{p(raw, 50):.1f}"))
        record(f"DCI sync search: {label} p50", p(api, 50), "ms", "hand SQL", p(raw, 50))
    print(f"\n{args.requests} calls each (whole stack, Django's test client).\n")
    print_table(("call", "API p50 ms", "API p99 ms", "hand SQL p50 ms"), rows)


if __name__ == "__main__":
    main()
