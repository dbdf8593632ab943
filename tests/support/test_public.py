"""Public transparency (support.public, support.api.public): the figures of a small known
register by hand, small-cell and complementary suppression, no personal data anywhere, the
same answer for anyone, and a fixed number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from core.access import SYSTEM
from geo.models import Commune
from support import public
from support import services as support
from support.models import BudgetAllocation, Program
from tests import factories as f
from tests.poverty.conftest import decide

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}
NEAR_POOR = {"income": 10_000_000}  # below the line, no deprivation
URLS = {
    "rates": "/api/v1/public/poverty-rates/",
    "support": "/api/v1/public/support/?year=2026",
    "budget": "/api/v1/public/budget/?year=2026",
}
PAGE = "/public/?year=2026"


# ---------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    "counts, cells, total",
    [
        ([10, 20], [10, 20], 30),
        ([3, 6, 9], ["<5", None, 9], 18),  # 18 − 9 = 9 = A + B, B ≥ 5: A anywhere in 0–4
        ([0, 5, 0], ["<5", 5, "<5"], None),  # no complement can hide the zeros: the total goes
        ([2, 2, 20], ["<5", "<5", 20], 24),  # 4 over two small cells: each anywhere in 0–4
        ([4, 4, 20], ["<5", "<5", None], 28),  # 8 over two small cells: both 4, so hidden
        ([1, 2], ["<5", "<5"], "<5"),
        ([2, 9, 30], ["<5", None, 30], 41),  # 2 + 9 = 11 over one complement: 11 − 5 ≥ 4
        ([2, 5, 5, 30], ["<5", None, None, None], 42),  # 2 + 5 + 5 = 12 would pin it to 0–2
    ],
)
def test_suppress_column(counts, cells, total):
    shown, shown_total, _ = public.suppress_column(counts, sum(counts))
    assert (shown, shown_total) == (cells, total)


@pytest.mark.parametrize("counts", [[3, 6, 9], [0, 0, 7, 8], [1, 9, 12, 40], [4, 5], [2, 2, 2]])
def test_subtraction_never_narrows_a_small_count(counts):
    """What the reader can work out: the hidden cells' sum (total − shown), each small one in
    0–4, each complement 5 or more. Every small count must stay possible as 0 and as 4."""
    shown, total, _ = public.suppress_column(counts, sum(counts))
    if not isinstance(total, int):
        return
    hidden = total - sum(c for c in shown if isinstance(c, int))
    small = [i for i, c in enumerate(shown) if c == public.SMALL]
    complements = [i for i, c in enumerate(shown) if c is None]
    for i in small:
        others_small = len(small) - 1
        # the largest value cell i can take, and the smallest
        high = hidden - public.MIN_CELL * len(complements)
        low = hidden - 4 * others_small - (10**9 if complements else 0)
        assert high >= 4 and low <= 0, (counts, shown, total, i)


def test_money_paid_to_few_households_is_hidden_with_a_complement():
    assert public.suppress_amounts([3, 7], [30, 70]) == ([None, None], 100)
    assert public.suppress_amounts([3, 0], [30, 0]) == ([None, 0], None)
    assert public.suppress_amounts([0, 7], [0, 70]) == ([0, 70], 70)


# ---------------------------------------------------------------------------- the register


def _household(commune, tag: str):
    return f.household(
        commune,
        members=[f.member(f"Hoàng Văn Công{tag}")],
        address=f"Số {tag} ngõ Công Khai",
    )


@pytest.fixture
def register(ward, rural):
    """Three communes of Quảng Ninh:

    A (ward): 3 poor, 2 without status — 5 households;
    B (rural): 6 poor, 5 near-poor — 11 households;
    C: 9 poor, 1 without status — 10 households.
    Housing support in 2026 for the poor: 3 in A, 6 in B, 7 in C (40,000,000 each, 70%
    central / 30% local); 1,000,000 paid to each supported household of A and C."""
    c = Commune.objects.filter(province_id="22").exclude(code__in=[ward.code, rural.code])
    c = c.order_by("code").first()
    leader = f.user(Role.COMMUNE_LEADER, communes=[ward, rural, c])
    households = {"A": [], "B": [], "C": []}
    poor = {"A": [], "B": [], "C": []}
    plan = [
        ("A", ward, 3, 0, 2),
        ("B", rural, 6, 5, 0),
        ("C", c, 9, 0, 1),
    ]
    for name, commune, n_poor, n_near, n_plain in plan:
        for i in range(n_poor + n_near + n_plain):
            h = _household(commune, f"{name}{i}")
            households[name].append(h)
            if i < n_poor:
                decide(h, leader, day="2026-10-01", decision="2026-10-10", **POOR)
                poor[name].append(h)
            elif i < n_poor + n_near:
                decide(h, leader, day="2026-10-01", decision="2026-10-10", **NEAR_POOR)
    program = Program.objects.create(code="CT", name="Giảm nghèo", level="program")
    project = Program.objects.create(code="DA5", name="Nhà ở", level="project", parent=program)
    sub = Program.objects.create(
        code="DA5.1", name="Nhà ở hộ nghèo", level="sub_project", parent=project
    )
    for source, commune, amount in (
        ("central", None, 10**10),
        ("local", None, 10**10),
        ("central", c, 10**9),
    ):
        BudgetAllocation.objects.create(
            sub_project=sub,
            source=source,
            year=2026,
            province_id="22",
            commune=commune,
            amount=amount,
        )
    package = support.package_save(
        actor=SYSTEM,
        package=None,
        values={"code": "NHA", "name": "Nhà ở", "kind": "housing", "sub_project": sub},
        eligibility=[{"standard_code": "VN-ND07-2021", "classification": "poor"}],
        rates=[{"base_amount": 40_000_000, "valid_from": date(2022, 1, 1)}],
        funding=[
            {"source": "central", "share_percent": "70"},
            {"source": "local", "share_percent": "30"},
        ],
    )
    for name, n in (("A", 3), ("B", 6), ("C", 7)):
        for h in poor[name][:n]:
            a = support.assignment_propose(household=h, package=package, period=2026, actor=SYSTEM)
            a = support.assignment_approve(assignment=a, expected_version=1, actor=SYSTEM)
            if name != "B":
                support.disbursement_record(
                    assignment=a,
                    expected_version=2,
                    actor=SYSTEM,
                    on=date(2026, 10, 20),
                    amount=1_000_000,
                    evidence_reference="PC-1",
                )
    return {"A": ward, "B": rural, "C": c, "households": households, "package": package}


def _row(rows, commune, **match):
    [row] = [
        r for r in rows if r.get("commune") == commune and all(r[k] == v for k, v in match.items())
    ]
    return row


def test_poverty_rates_by_hand(register):
    A, B, C = (register[k].code for k in "ABC")
    data = Client().get(URLS["rates"]).json()
    assert data["province"] == "22" and data["standard"] == "VN-ND07-2021"
    assert [r["commune"] for r in data["rows"]] == sorted([A, B, C])
    a, b, c = (_row(data["rows"], x) for x in (A, B, C))
    # A: 3 poor of 5 → "<5", and its rate hidden
    assert (a["households"], a["poor"], a["poverty_rate"]) == (5, "<5", None)
    assert set(a["suppressed"]) >= {"poor", "poverty_rate"}
    # B: its 6 poor are the complement of A's 3 (else 18 − 9 − 6 gives A's 3)
    assert (b["households"], b["poor"], b["poverty_rate"]) == (11, None, None)
    assert "poor" in b["suppressed"]
    # C: 9 of 10
    assert (c["households"], c["poor"], c["poverty_rate"]) == (10, 9, 90.0)
    # near-poor: 0, 5, 0 — no complement hides the two zeros, so the total goes
    assert [r["near_poor"] for r in (a, b, c)] == ["<5", 5, "<5"]
    assert b["near_poverty_rate"] == round(100 * 5 / 11, 2) == 45.45
    total = data["total"]
    assert (total["households"], total["poor"], total["poverty_rate"]) == (26, 18, 69.23)
    assert (total["near_poor"], total["near_poverty_rate"]) == (None, None)
    assert set(total["suppressed"]) == {"near_poor", "near_poverty_rate"}


def test_support_by_package_kind_by_hand(register):
    A, B, C = (register[k].code for k in "ABC")
    data = Client().get(URLS["support"]).json()
    rows = data["rows"]
    assert {r["package_kind"] for r in rows} == {"housing"}
    a, b, c = (_row(rows, x) for x in (A, B, C))
    assert (a["households"], a["amount"], a["disbursed"]) == ("<5", None, None)
    assert (b["households"], b["amount"], b["disbursed"]) == (None, None, None)  # complement
    assert (c["households"], c["amount"], c["disbursed"]) == (7, 7 * 40_000_000, 7_000_000)
    [total] = data["totals"]
    assert (total["households"], total["amount"], total["disbursed"]) == (
        16,
        16 * 40_000_000,
        10_000_000,
    )


def test_budget_by_hand(register):
    C = register["C"].code
    data = Client().get(URLS["budget"]).json()
    rows = data["rows"]
    # central: province-wide (paid A's 3 households) and C's own (paid C's 7)
    wide = _row(rows, None, source="central")
    own = _row(rows, C, source="central")
    assert (wide["allocated"], wide["disbursed"]) == (10**10, None)
    assert (own["allocated"], own["disbursed"]) == (10**9, None)  # its complement
    local = _row(rows, None, source="local")  # paid all 10 households: shown
    assert (local["allocated"], local["disbursed"]) == (10**10, 10 * 300_000)
    totals = {t["source"]: t for t in data["totals"]}
    assert totals["central"]["allocated"] == 11 * 10**9
    assert totals["central"]["disbursed"] == 10 * 700_000
    assert totals["local"]["disbursed"] == 10 * 300_000
    assert all(t["sub_project"] == "DA5.1" for t in data["totals"])


def test_the_page_shows_the_same_figures(register):
    r = Client().get(PAGE)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    text = r.content.decode()
    assert register["C"].name in text and "90,00 %" in text and "69,23 %" in text
    assert "&lt;5" in text and "ẩn" in text
    assert "Hộ nghèo" in text and "Ngân sách trung ương" in text and "Hỗ trợ nhà ở" in text


def _personal(register) -> list[str]:
    values = []
    for hs in register["households"].values():
        for h in hs:
            values += [h.code, str(h.id), h.address]
            for m in h.members.all():
                values += [m.full_name, m.citizen_id, str(m.id)]
    return [v for v in values if v]


def test_no_personal_data_and_the_same_answer_for_everyone(register, ward):
    secrets = _personal(register)
    clients = {"anonymous": Client()}
    for role in (Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER, Role.ANALYST):
        grant = {"provinces": ["22"]} if role == Role.PROVINCE_OFFICER else {"communes": [ward]}
        clients[role] = f.client_for(f.user(role, **grant))
    for url in [*URLS.values(), PAGE]:
        answers = {}
        for who, client in clients.items():
            r = client.get(url)
            assert r.status_code == 200, (who, url, r.content[:300])
            text = r.content.decode()
            assert not [s for s in secrets if s in text], (who, url)
            answers[who] = text
        assert len(set(answers.values())) == 1, url  # aggregates: whoever asks
    anonymous = clients["anonymous"].get(URLS["rates"])
    assert "public" in anonymous["Cache-Control"]
    assert "no-store" in clients[Role.ANALYST].get(URLS["rates"])["Cache-Control"]


def test_parameters(register):
    client = Client()
    assert client.get(URLS["rates"] + "?province=99").status_code == 400
    assert client.get(URLS["rates"] + "?standard=NOPE").status_code == 400
    assert client.get(URLS["rates"] + "?household=x").status_code == 400  # unknown
    assert client.get("/public/?province=99").status_code == 400
    other = client.get("/api/v1/public/poverty-rates/?province=01").json()
    assert other["province"] == "01" and other["rows"] == []
    assert client.get("/api/v1/public/support/?year=2025").json()["rows"] == []


def test_anonymous_requests_are_throttled(register, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "100000/minute", "anon": "2/minute"},
    }
    client = Client()
    statuses = [client.get(URLS["rates"]).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get(PAGE).status_code == 429


def _queries(url: str) -> int:
    client = Client()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_query_counts_do_not_grow_with_rows(register):
    before = {url: _queries(url) for url in [*URLS.values(), PAGE]}
    assert before == {
        URLS["rates"]: 6,
        URLS["support"]: 4,
        URLS["budget"]: 5,
        PAGE: 12,
    }
    for i in range(3):  # more households, statuses and support in a fourth commune
        d = Commune.objects.filter(province_id="22").order_by("-code").first()
        h = _household(d, f"D{i}")
        decide(h, SYSTEM, day="2026-10-01", decision="2026-10-10", **POOR)
        support.assignment_approve(
            assignment=support.assignment_propose(
                household=h, package=register["package"], period=2026, actor=SYSTEM
            ),
            expected_version=1,
            actor=SYSTEM,
        )
    assert {url: _queries(url) for url in before} == before


def test_linked_from_the_api_root_and_the_admin(client):
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    links = f.client_for(officer).get("/api/v1/").json()
    assert links["public-page"] == "http://testserver/public/"
    assert links["public/poverty-rates"] == "http://testserver/api/v1/public/poverty-rates/"
    client.force_login(f.user(None, superuser=True))
    assert 'href="/public/"' in client.get("/admin/").content.decode()
