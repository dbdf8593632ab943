"""Search people can trust (households.search), through the API as an officer uses it: words
at word starts within ONE member's name, folded; ranked; whole citizen IDs and phone numbers;
ranked pages; nothing personal revealed to callers without personal-data rights."""

import base64
from datetime import date
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from households.models import Household, Member
from households.search import household_queryset_search, member_queryset_search
from tests import factories as f

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/api/v1/households/"
MEMBERS = "/api/v1/members/"


def household(commune, *names: str, **extra) -> Household:
    members = [f.member(names[0], sex="female")] + [
        f.member(name, relationship="child", dob=date(2010, 1, i + 1), with_citizen_id=False)
        for i, name in enumerate(names[1:])
    ]
    return f.household(commune, members=members, **extra)


def codes(api, q: str, url: str = HOUSEHOLDS, **params) -> list[str]:
    r = api.get(url, {"q": q, **params})
    assert r.status_code == 200, r.json()
    return [row["code"] for row in r.json()["results"]]


def names(api, q: str, **params) -> list[str]:
    r = api.get(MEMBERS, {"q": q, **params})
    assert r.status_code == 200, r.json()
    return [row["full_name"] for row in r.json()["results"]]


# ---------------------------------------------------------------------------- what matches


def test_words_match_at_word_starts_not_inside_words(api, ward):
    hoa = household(ward, "Đặng Thị Hoà")
    household(ward, "Nguyễn Đăng Khoa")  # "hoa" inside "khoa", "dang" starts "dang"
    assert codes(api, "hoa") == [hoa.code]
    assert codes(api, "dang hoa") == [hoa.code]
    assert codes(api, "ang") == []  # inside "dang" and "đăng": not a word start
    assert names(api, "hoa") == ["Đặng Thị Hoà"]


@pytest.mark.parametrize("q", ["dang thi hoa", "Đặng Thị Hoà", "ĐẶNG THỊ HOÀ", "đang thi hoa"])
def test_folded_diacritics_and_d_insensitive(api, ward, q):
    hoa = household(ward, "Đặng Thị Hoà")
    household(ward, "Đặng Văn Hùng")
    assert codes(api, q) == [hoa.code]
    assert names(api, q) == ["Đặng Thị Hoà"]


def test_words_of_two_members_do_not_combine(api, ward):
    """The README's example: "dang thi hoa" across a household's Đặng Văn Nam and Lê Thị Hoa
    is no match."""
    household(ward, "Đặng Văn Nam", "Lê Thị Hoa")
    both = household(ward, "Đặng Thị Hoà", "Lê Văn Nam")
    assert codes(api, "dang thi hoa") == [both.code]
    assert codes(api, "dang hoa") == [both.code]
    assert names(api, "dang hoa") == ["Đặng Thị Hoà"]


def test_address_and_code(api, ward, rural):
    by_address = household(ward, "Lê Văn Tám", address="Khu phố Cao Xanh, tổ 3")
    household(ward, "Lê Văn Tư", address="Thôn Caoxanh")  # "xanh" not at a word start
    assert codes(api, "cao xanh") == [by_address.code]
    assert codes(api, "xanh") == [by_address.code]
    assert codes(api, by_address.code) == [by_address.code]
    assert codes(api, by_address.code[:-1]) == sorted(
        Household.objects.filter(code__startswith=by_address.code[:-1]).values_list(
            "code", flat=True
        )
    )
    # members: those of a household matching by address or code
    assert sorted(names(api, "cao xanh")) == ["Lê Văn Tám"]


def test_citizen_id_and_phone_match_the_whole_value(api, ward):
    h = household(ward, "Đặng Thị Hoà", phone="0912345678")
    other = household(ward, "Trần Văn Nam", phone="0912345679")
    citizen_id = h.members.get().citizen_id
    assert codes(api, citizen_id) == [h.code]
    assert names(api, citizen_id) == ["Đặng Thị Hoà"]
    assert codes(api, citizen_id[:-1]) == []  # a part of an ID matches nothing
    assert codes(api, citizen_id[1:]) == []
    assert names(api, citizen_id[:6]) == []
    assert codes(api, "0912345678") == [h.code]
    assert codes(api, "091234567") == []  # 9 digits: no ID card, no phone number
    assert codes(api, "0912345679") == [other.code]
    assert names(api, "0912345678") == ["Đặng Thị Hoà"]


# ---------------------------------------------------------------------------- ranking


def test_ranking_exact_then_prefix_then_words_then_address(api, ward):
    # created in the reverse of the expected order, so that code order alone is wrong
    by_address = household(ward, "Lê Văn Tám", address="Xóm Hoa Mai")
    by_words = household(ward, "Hoa Thị Mai")  # "hoa" and "mai" start words, not in order
    by_prefix = household(ward, "Mai Hoa Phượng")  # starts with "mai hoa"
    exact = household(ward, "Mai Hoa")
    also_exact = household(ward, "Mãi Hòa")  # folds to the same
    assert codes(api, "mai hoa") == [
        exact.code,
        also_exact.code,
        by_prefix.code,
        by_words.code,
        by_address.code,
    ]
    assert names(api, "mai hoa") == [
        "Mai Hoa",
        "Mãi Hòa",
        "Mai Hoa Phượng",
        "Hoa Thị Mai",
        "Lê Văn Tám",
    ]


def test_a_household_ranks_as_its_best_member(api, ward):
    words = household(ward, "Phạm Thị Lan")
    exact_child = household(ward, "Phạm Thị Hương", "Phạm Lan")
    assert codes(api, "pham lan") == [exact_child.code, words.code]


def test_ties_in_code_order_and_ranked_pages(api, ward, rural):
    """Ranked results page by (rank, code[, member]) with no row lost or repeated."""
    exact = [household(c, "Vũ Thị Mai") for c in (rural, ward, rural)]
    prefix = [household(c, "Vũ Thị Mai Anh") for c in (ward, rural, ward)]
    expected = sorted(h.code for h in exact) + sorted(h.code for h in prefix)
    seen, url, pages = [], HOUSEHOLDS, 0
    params = {"q": "vu thi mai", "page_size": 2}
    while url:
        r = api.get(url, params)
        assert r.status_code == 200, r.json()
        seen += [row["code"] for row in r.json()["results"]]
        url, params, pages = r.json()["next"], None, pages + 1
    assert seen == expected and pages == 3
    # the previous page of page 2 is page 1
    page2 = api.get(api.get(HOUSEHOLDS, {"q": "vu thi mai", "page_size": 2}).json()["next"])
    back = api.get(page2.json()["previous"]).json()["results"]
    assert [row["code"] for row in back] == expected[:2]


def test_member_pages_keep_the_ranked_order(api, ward):
    household(ward, "Hồ Văn Sơn", "Hồ Văn Sơn Lâm", "Hồ Sơn")
    household(ward, "Hồ Văn Sơn")
    every = names(api, "ho van son", page_size=50)
    assert every == ["Hồ Văn Sơn", "Hồ Văn Sơn", "Hồ Văn Sơn Lâm"]
    page1 = api.get(MEMBERS, {"q": "ho van son", "page_size": 2}).json()
    page2 = api.get(page1["next"]).json()
    assert [m["full_name"] for m in page1["results"] + page2["results"]] == every
    assert page2["next"] is None


# ---------------------------------------------------------------------------- tier by tier
# The API reads a ranked page one rank (tier) at a time, stopping when the page is full
# (households.search.RankedSearch.page); the admin reads every match in one query. Both orders
# must be the same.


def every_rank(*communes) -> dict[int, list[Household]]:
    """Households matching "mai hoa" at every rank, three per rank, in the given communes
    (created rank by rank in reverse, so that code order alone is wrong)."""
    made = {rank: [] for rank in range(4)}
    for commune in communes * 3:
        made[3].append(household(commune, "Lê Văn Tám", address="Xóm Hoa Mai"))
        made[2].append(household(commune, "Hoa Thị Mai"))
        made[1].append(household(commune, "Mai Hoa Phượng", "Mai Hoa Phượng Anh"))
        made[0].append(household(commune, "Trần Văn Nam", "Mai Hoa"))  # a child is exact
    return made


def ranked_codes(made: dict[int, list[Household]], keep=lambda h: True) -> list[str]:
    return [code for rank in range(4) for code in sorted(h.code for h in made[rank] if keep(h))]


def walk(api, url: str, params: dict) -> tuple[list[dict], list[dict]]:
    """Every row through the `next` links, then again from the last page back through the
    `previous` links."""
    r = api.get(url, params)
    pages = []
    while True:
        assert r.status_code == 200, r.json()
        pages.append(r.json())
        if r.json()["next"] is None:
            break
        r = api.get(r.json()["next"])
    forward = [row for page in pages for row in page["results"]]
    backward, page = pages[-1]["results"], pages[-1]
    while page["previous"] is not None:
        r = api.get(page["previous"])
        assert r.status_code == 200, r.json()
        page = r.json()
        backward = page["results"] + backward
    return forward, backward


def test_pages_across_tiers_keep_the_one_query_order(api, ward, rural):
    made = every_rank(ward, rural)
    expected = ranked_codes(made)
    one_query = household_queryset_search(Household.objects.all(), "mai hoa")
    assert [h.code for h in one_query] == expected
    forward, backward = walk(api, HOUSEHOLDS, {"q": "mai hoa", "page_size": 2})
    assert [row["code"] for row in forward] == expected == [row["code"] for row in backward]
    # page sizes that end inside a tier and on its edge
    for size in (3, 5, 12, 13):
        forward, backward = walk(api, HOUSEHOLDS, {"q": "mai hoa", "page_size": size})
        assert [row["code"] for row in forward] == expected
        assert [row["code"] for row in backward] == expected


def test_member_pages_across_tiers_keep_the_one_query_order(api, ward, rural):
    every_rank(ward, rural)
    one_query = member_queryset_search(Member.objects.all(), "mai hoa")
    expected = [str(m.id) for m in one_query]
    assert len(expected) == len(set(expected)) == 30  # 6 + 12 + 6 + 6, each once
    for size in (2, 7):
        forward, backward = walk(api, MEMBERS, {"q": "mai hoa", "page_size": size})
        assert [row["id"] for row in forward] == expected == [row["id"] for row in backward]
    names = [row["full_name"] for row in forward]
    assert names[:6] == ["Mai Hoa"] * 6 and names[-6:] == ["Lê Văn Tám"] * 6


def test_filters_and_area_apply_on_every_tier(api, ward_api, ward, rural):
    made = every_rank(ward, rural)
    in_ward = ranked_codes(made, lambda h: h.commune_id == ward.code)
    forward, backward = walk(
        api, HOUSEHOLDS, {"q": "mai hoa", "page_size": 2, "commune": ward.code}
    )
    assert [row["code"] for row in forward] == in_ward == [row["code"] for row in backward]
    forward, backward = walk(ward_api, HOUSEHOLDS, {"q": "mai hoa", "page_size": 2})
    assert [row["code"] for row in forward] == in_ward == [row["code"] for row in backward]
    forward, _ = walk(ward_api, MEMBERS, {"q": "mai hoa", "page_size": 2, "relationship": "child"})
    assert (
        sorted(row["full_name"] for row in forward) == ["Mai Hoa"] * 3 + ["Mai Hoa Phượng Anh"] * 3
    )
    assert {row["household"] for row in forward} <= {
        str(h.id) for hs in made.values() for h in hs if h.commune_id == ward.code
    }


@pytest.mark.parametrize(
    ("url", "position"),
    [
        (HOUSEHOLDS, "9" + "06652-000001"),  # no rank 9
        (HOUSEHOLDS, "x"),
        (MEMBERS, "1" + "06652-000001"),  # no member id
        (MEMBERS, "1" + "06652-000001" + "not-a-uuid-at-all-but-36-characters"),
        (MEMBERS, "2" + "3e4554de-54ed-4052-9b36-a5d3d42ba0ce"),  # no household code
    ],
)
def test_a_search_cursor_this_api_did_not_write_is_400(api, ward, url, position):
    household(ward, "Mai Hoa")
    cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()
    r = api.get(url, {"q": "mai hoa", "cursor": cursor})
    assert r.status_code == 400, r.json()
    assert "cursor" in str(r.json())


# ---------------------------------------------------------------------------- rights


def test_no_personal_data_through_search_without_the_right(ward):
    analyst = f.client_for(f.user(Role.ANALYST, provinces=["22"]))
    h = household(ward, "Đặng Thị Hoà", phone="0912345678", address="Khu Cao Xanh")
    citizen_id = h.members.get().citizen_id
    for q in ("dang thi hoa", "hoa", citizen_id, "0912345678", "cao xanh", "022"):
        assert codes(analyst, q) == []  # which rows match would reveal the value
    assert codes(analyst, h.code) == [h.code]
    assert codes(analyst, h.code[:5]) == [h.code]
    for q in ("dang thi hoa", citizen_id, h.code):
        assert names(analyst, q) == []


def test_search_stays_inside_the_area(ward_api, ward, rural):
    inside = household(ward, "Đặng Thị Hoà")
    outside = household(rural, "Đặng Thị Hoà", phone="0912345678")
    assert codes(ward_api, "dang thi hoa") == [inside.code]
    assert codes(ward_api, outside.members.get().citizen_id) == []
    assert codes(ward_api, "0912345678") == []
    assert names(ward_api, "dang thi hoa") == ["Đặng Thị Hoà"]


@pytest.mark.parametrize("q", ["!!!", "%", "_", "\\", "a%b", "'"])
def test_punctuation_and_wildcards_are_plain_text(api, ward, q):
    household(ward, "Đặng Thị Hoà", address="Số 5, tổ 3")
    assert codes(api, q) == []
    assert names(api, q) == []


# ---------------------------------------------------------------------------- query counts


def count(api, url: str, params: dict) -> int:
    assert api.get(url, params).status_code == 200  # a token's first use is recorded
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [HOUSEHOLDS, MEMBERS])
@pytest.mark.parametrize("kind", ["citizen_id", "phone"])
def test_query_count_of_an_id_or_phone_search_is_flat(api, ward, url, kind):
    """A citizen ID or phone number matches a few rows: read in one query."""
    first = household(ward, "Nguyễn Văn An", phone="0912345678")
    q = {"citizen_id": first.members.get().citizen_id, "phone": "0912345678"}[kind]
    plain = count(api, url, {})
    small = count(api, url, {"q": q})
    for i in range(6):
        household(ward, f"Nguyễn Văn {i}", f"Nguyễn Văn Con {i}", phone="0912345678")
    assert count(api, url, {"q": q}) == small == plain


@pytest.mark.parametrize("url", [HOUSEHOLDS, MEMBERS])
@pytest.mark.parametrize("q", ["mai hoa", "hoa"])
def test_query_count_is_one_per_tier_read(api, ward, url, q):
    """One query per rank a page reads (then the households' members, as the plain list),
    however many rows match."""
    every_rank(ward)  # three households (and more members) per rank
    plain = count(api, url, {})
    # "mai hoa": rank 0 fills a page of 2; "hoa": rank 0 is empty ("Hoa Thị Mai" is rank 1)
    within = count(api, url, {"q": q, "page_size": 2})
    assert within == plain + {"mai hoa": 0, "hoa": 1}[q]
    page = api.get(url, {"q": q, "page_size": 2}).json()
    assert count(api, page["next"], {}) == plain + 1  # the end of one rank, then the next
    assert count(api, url, {"q": q, "page_size": 50}) == plain + 3  # all four, none full
    every_rank(ward, ward)  # three times as many rows in every rank: the same counts
    assert count(api, url, {"q": q, "page_size": 2}) == within
    assert count(api, url, {"q": q, "page_size": 50}) == plain + 3


def test_stored_search_text_is_the_folded_address(ward):
    h = household(ward, "Đặng Thị Hoà", address="  Khu 5 – Phường Hồng\tGai, tổ 3/4 ")
    assert Household.objects.get(pk=h.pk).search_text == "khu 5 phuong hong gai to 3 4"
    assert Member.objects.get(household=h).name_folded == "dang thi hoa"


@pytest.mark.parametrize(
    "address", ["Số 12/3, Tổ 3 – Phường Hồng Gai", "  THÔN\tĐỒNG  BẰNG ", "Khu 5", "", "ⅫA-b_c"]
)
def test_the_migration_writes_the_text_the_services_write(address):
    from importlib import import_module

    from households.search import address_search_text

    migration = import_module("households.migrations.0003_search_address_phone")
    assert migration.address_text(address) == address_search_text(address)


def test_every_write_keeps_search_current(api, ward):
    """An address edited, a member renamed or moved: the next search sees it."""
    h = household(ward, "Đặng Thị Hoà", address="Thôn Cao Xanh")
    other = household(ward, "Lê Văn Tám", "Lê Thị Bưởi", address="Tổ 1")
    r = api.patch(f"{HOUSEHOLDS}{h.id}/", {"address": "Khu Hà Tu"}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 200, r.json()
    assert codes(api, "cao xanh") == [] and codes(api, "ha tu") == [h.code]
    member = h.members.get()
    r = api.patch(f"{MEMBERS}{member.id}/", {"full_name": "Đặng Thị Hoa Mai"}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 200, r.json()
    assert names(api, "hoa mai") == ["Đặng Thị Hoa Mai"] and names(api, "dang thi hoa") == [
        "Đặng Thị Hoa Mai"  # now a prefix match
    ]
    assert codes(api, "buoi") == [other.code]
    child = other.members.get(full_name="Lê Thị Bưởi")
    r = api.post(
        f"{MEMBERS}{child.id}/move/",
        {"household": str(h.id), "relationship": "child"},
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 200, r.json()
    assert codes(api, "buoi") == [h.code]
