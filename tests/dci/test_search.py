"""registry/sync/search and registry/sync/txn/status: query types, the allow-list of
predicates, pagination, records as SRGroup/SRMember/SRPerson validated against the
standard's schemas, area scoping, personal data, query counts, and requests built from the
standard's published examples."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from core.models import PersonalDataRead
from households.models import Member
from tests import factories as f
from tests.poverty.conftest import decide

from .conftest import (
    client,
    example,
    header,
    make_partner,
    now,
    post,
    search_envelope,
    search_item,
    validate,
)

pytestmark = pytest.mark.django_db
SEARCH, STATUS = "registry/sync/search", "registry/sync/txn/status"


@pytest.fixture
def partner(ward):
    return make_partner(communes=[ward])


@pytest.fixture
def family(ward):
    return f.household(
        ward,
        external_id="HK-0001",
        members=[
            f.member("Đinh Văn Hải", dob=date(1950, 1, 1), external_id="CD-1"),
            f.member(
                "Lò Thị Mơ",
                relationship="spouse",
                sex="female",
                dob=date(1982, 2, 2),
                ethnicity="03",
            ),
            f.member(
                "Đinh Văn Bé", relationship="child", dob=date(2016, 3, 3), with_citizen_id=False
            ),
        ],
    )


@pytest.fixture
def far(outside):
    return f.household(outside, external_id="HK-FAR", members=[f.member("Trần Văn Xa")])


def search(partner_secret, *items, entity=None):
    p, secret = partner_secret
    r = post(client(p, secret), SEARCH, search_envelope(p, *items))
    assert r.status_code == 200, r.content
    validate(r.json(), "OnSearch")
    assert r.json()["header"]["action"] == "on-search"
    return r.json()["message"]["search_response"]


def one(partner_secret, query_type, query, **criteria):
    [answer] = search(partner_secret, search_item(query_type, query, **criteria))
    return answer


def records(answer):
    assert answer["status"] == "succ", answer
    return answer["data"]["reg_records"]


def rejected(answer, code):
    assert answer["status"] == "rjct" and answer["status_reason_code"] == code, answer


def attrs(record):
    return {a["name"]: a["value"] for a in record["additional_attributes"]}


# ---------------------------------------------------------------------------- idtype-value


def test_a_household_by_code_is_a_group_with_its_head_and_members(partner, family):
    [group] = records(
        one(partner, "idtype-value", {"type": "HOUSEHOLD_CODE", "value": family.code})
    )
    assert group["@type"] == "Group" and group["group_type"] == "household"
    ids = {i["identifier_type"]: i["identifier_value"] for i in group["group_identifier"]}
    assert ids == {"HOUSEHOLD_CODE": family.code, "HOUSEHOLD_REGISTRY_ID": "HK-0001"}
    assert group["group_size"] == 3 and len(group["member_list"]) == 3
    head = group["group_head_info"]["demographic_info"]
    assert head["name"] == {
        "@type": "Name",
        "surname": "Đinh",
        "second_name": "Văn",
        "given_name": "Hải",
    }
    assert head["sex"] == "male" and head["birth_date"] == "1950-01-01"
    a = attrs(group)
    assert a["commune_code"] == family.commune_id and a["province_code"] == "22"
    assert a["poverty_status"] == [] and a["household_status"] == "active"
    child = next(m for m in group["member_list"] if attrs(m)["relationship_to_head"] == "child")
    assert "identifier" in child["demographic_info"]
    assert child["demographic_info"]["identifier"] == []  # no citizen ID: none invented


@pytest.mark.parametrize(
    "kind, value",
    [("CITIZEN_ID", None), ("PERSON_REGISTRY_ID", "CD-1"), ("HOUSEHOLD_REGISTRY_ID", "HK-0001")],
)
def test_identifier_types_find_the_household(partner, family, kind, value):
    value = value or family.members.get(relationship="head").citizen_id
    [group] = records(one(partner, "idtype-value", {"type": kind, "value": value}))
    assert group["@id"] == f"urn:uuid:{family.pk}"


def test_member_records_by_citizen_id_and_by_household(partner, family):
    spouse = family.members.get(relationship="spouse")
    [member] = records(
        one(
            partner,
            "idtype-value",
            {"type": "CITIZEN_ID", "value": spouse.citizen_id},
            response_entity="Member",
        )
    )
    assert member["@type"] == "Member" and member["@id"] == f"urn:uuid:{spouse.pk}"
    person = member["demographic_info"]
    assert person["sex"] == "female" and person["ethnicity"] == "03"
    assert attrs(member)["household_code"] == family.code
    everyone = records(
        one(
            partner,
            "idtype-value",
            {"type": "HOUSEHOLD_CODE", "value": family.code},
            response_entity="Member",
        )
    )
    assert len(everyone) == 3


def test_a_missing_fact_is_left_out_not_guessed(partner, family):
    Member.objects.filter(household=family, relationship="child").update(sex="")
    [group] = records(
        one(partner, "idtype-value", {"type": "HOUSEHOLD_CODE", "value": family.code})
    )
    child = next(m for m in group["member_list"] if attrs(m)["relationship_to_head"] == "child")
    assert "sex" not in child["demographic_info"]
    [female] = records(
        one(
            partner,
            "predicate",
            [
                {
                    "expression1": {
                        "attribute_name": "sex",
                        "operator": "eq",
                        "attribute_value": "female",
                    }
                }
            ],
            response_entity="Member",
        )
    )
    assert female["demographic_info"]["sex"] == "female"
    males = records(
        one(
            partner,
            "predicate",
            [
                {
                    "expression1": {
                        "attribute_name": "sex",
                        "operator": "eq",
                        "attribute_value": "male",
                    }
                }
            ],
            response_entity="Member",
        )
    )
    assert len(males) == 1  # the child is neither


@pytest.mark.parametrize(
    "query",
    [
        {"type": "PASSPORT", "value": "1"},
        {"type": "HOUSEHOLD_CODE"},
        {"value": "x"},
        "x",
        {"type": "CITIZEN_ID", "value": True},
    ],
)
def test_bad_identifier_queries_are_rejected(partner, query):
    rejected(one(partner, "idtype-value", query), "rjct.search_criteria.invalid")


# ---------------------------------------------------------------------------- area


def _data(answer):
    return {k: v for k, v in answer.items() if k != "timestamp"}


def test_outside_the_area_is_not_found_exactly_like_nothing(partner, family, far):
    cid = far.members.get().citizen_id
    for kind, value, missing in [
        ("HOUSEHOLD_CODE", far.code, "22999-9999"),
        ("CITIZEN_ID", cid, "022099999999"),
        ("HOUSEHOLD_REGISTRY_ID", "HK-FAR", "HK-NONE"),
    ]:
        a = one(partner, "idtype-value", {"type": kind, "value": value})
        b = one(partner, "idtype-value", {"type": kind, "value": missing})
        assert _data(a) == _data(b) and records(a) == []
        assert a["pagination"]["total_count"] == 0
    p, secret = partner
    body = search_envelope(
        p,
        search_item(
            "predicate",
            [
                {
                    "expression1": {
                        "attribute_name": "province_code",
                        "operator": "eq",
                        "attribute_value": "01",
                    }
                }
            ],
        ),
    )
    text = post(client(p, secret), SEARCH, body).content.decode()
    assert far.code not in text and "Trần" not in text and cid not in text
    assert json.loads(text)["message"]["search_response"][0]["pagination"]["total_count"] == 0


def test_a_province_partner_sees_the_province(family, ward, rural):
    other = f.household(rural)
    p = make_partner(provinces=["22"])
    found = records(
        one(
            p,
            "predicate",
            [
                {
                    "expression1": {
                        "attribute_name": "province_code",
                        "operator": "eq",
                        "attribute_value": "22",
                    }
                }
            ],
        )
    )
    assert {g["@id"] for g in found} == {f"urn:uuid:{family.pk}", f"urn:uuid:{other.pk}"}


# ---------------------------------------------------------------------------- predicates


def expr(name, op, value):
    return {"attribute_name": name, "operator": op, "attribute_value": value}


def codes(answer):
    return sorted(
        i["identifier_value"]
        for g in records(answer)
        for i in g["group_identifier"]
        if i["identifier_type"] == "HOUSEHOLD_CODE"
    )


def test_predicates_over_the_allow_list(partner, family, ward):
    alone = f.household(
        ward,
        members=[f.member("Hoàng Thị Lan", sex="female", dob=date(1990, 1, 1), ethnicity="05")],
    )
    both = sorted([family.code, alone.code])

    def q(*items):
        return codes(one(partner, "predicate", list(items)))

    assert q({"expression1": expr("commune_code", "eq", ward.code)}) == both
    assert q({"expression1": expr("commune_code", "in", [ward.code, "00001"])}) == both
    assert q({"expression1": expr("household_size", "ge", 3)}) == [family.code]
    assert q({"expression1": expr("household_size", "lt", "5")}) == both
    assert q({"expression1": expr("household_size", "eq", 1)}) == [alone.code]
    assert q({"expression1": expr("age", "ge", 70)}) == [family.code]
    assert q({"expression1": expr("age", "lt", 16)}) == [family.code]  # born 2016
    assert q({"expression1": expr("age", "eq", 30)}) == []
    assert q({"expression1": expr("sex", "eq", "female")}) == both
    assert q({"expression1": expr("ethnicity", "in", ["05"])}) == [alone.code]
    assert (
        q(
            {
                "seq_num": 1,
                "expression1": expr("ethnicity", "eq", "03"),
                "condition": "or",
                "expression2": expr("ethnicity", "eq", "05"),
            }
        )
        == both
    )
    assert q(
        {
            "expression1": expr("sex", "eq", "female"),
            "condition": "not",
            "expression2": expr("age", "ge", 70),
        }
    ) == [alone.code]
    assert q(
        {"expression1": expr("sex", "eq", "female")},
        {"expression1": expr("household_size", "gt", 1)},
    ) == [family.code]


def test_poverty_status_under_a_named_standard(partner, family, ward):
    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    decide(
        family, leader, day="2026-10-01", decision="2026-10-20", income=1_000_000, poor_housing=True
    )
    other = f.household(ward)

    def q(*items):
        return codes(one(partner, "predicate", list(items)))

    poor = q(
        {
            "expression1": expr("poverty_status", "eq", "poor"),
            "condition": "and",
            "expression2": expr("poverty_standard", "eq", "VN-ND07-2021"),
        }
    )
    assert poor == [family.code]
    assert q({"expression1": expr("poverty_status", "in", ["near_poor", "not_poor"])}) == []
    assert other.code not in poor
    [group] = records(
        one(partner, "idtype-value", {"type": "HOUSEHOLD_CODE", "value": family.code})
    )
    [status] = attrs(group)["poverty_status"]
    assert status["standard"] == "VN-ND07-2021" and status["classification"] == "poor"
    assert status["deprivation_count"] == len(status["deprivations"]) >= 3
    rejected(
        one(partner, "predicate", [{"expression1": expr("poverty_standard", "eq", "NO-SUCH")}]),
        "rjct.search_criteria.invalid",
    )


@pytest.mark.parametrize(
    "query",
    [
        [],
        [{"expression1": expr("location", "eq", "x")}],
        [{"expression1": expr("full_name", "eq", "Đinh Văn Hải")}],
        [{"expression1": expr("age", "in", [1])}],
        [{"expression1": expr("age", "ge", "old")}],
        [{"expression1": expr("sex", "eq", "m")}],
        [{"expression1": expr("commune_code", "eq", "1")}],
        [
            {
                "expression1": expr("sex", "eq", "female"),
                "condition": "xor",
                "expression2": expr("sex", "eq", "male"),
            }
        ],
        [{"expression1": expr("province_code", "in", [])}],
        [{"expression1": expr(["sex"], "eq", "male")}],
        [{"expression1": expr({"a": 1}, "eq", "male")}],
        ["x"],
        {"expression1": expr("sex", "eq", "male")},
    ],
)
def test_predicates_outside_the_allow_list_are_rejected(partner, query):
    rejected(one(partner, "predicate", query), "rjct.search_criteria.invalid")


def test_expression_queries_get_the_standards_reason_code(partner):
    answer = one(partner, "expression", {"type": "ns:org:QueryType:NoSql", "value": {}})
    rejected(answer, "rjct.search_criteria.invalid")
    assert "expression" in answer["status_reason_message"].lower()


# ---------------------------------------------------------------------------- the batch


def test_pagination_with_total_count_and_sort(partner, ward):
    made = sorted(f.household(ward).code for _ in range(5))
    query = [{"expression1": expr("commune_code", "eq", ward.code)}]
    page = one(partner, "predicate", query, pagination={"page_size": 2, "page_number": 2})
    assert page["pagination"] == {"page_size": 2, "page_number": 2, "total_count": 5}
    assert codes(page) == made[2:4]
    last = one(
        partner,
        "predicate",
        query,
        sort=[{"attribute_name": "household_code", "sort_order": "desc"}],
        pagination={"page_size": 2, "page_number": 1},
    )
    assert codes(last) == sorted(made[3:])
    beyond = one(partner, "predicate", query, pagination={"page_size": 2, "page_number": 9})
    assert records(beyond) == [] and beyond["pagination"]["total_count"] == 5
    # the last page, not full, gives the total without counting
    with CaptureQueriesContext(connection) as queries:
        tail = one(partner, "predicate", query, pagination={"page_size": 2, "page_number": 3})
    assert codes(tail) == made[4:] and tail["pagination"]["total_count"] == 5
    assert not [q for q in queries if "COUNT(" in q["sql"]]


@pytest.mark.parametrize(
    "pagination",
    [
        {"page_size": 0},
        {"page_size": 101},
        {"page_size": "10"},
        {"page_number": 1},
        {"page_size": 10, "page_number": 0},
        {"page_size": 1.5},
        "all",
    ],
)
def test_bad_pagination_is_rejected(partner, pagination):
    query = [{"expression1": expr("sex", "eq", "male")}]
    rejected(one(partner, "predicate", query, pagination=pagination), "rjct.pagination.invalid")


def test_bad_sort_timestamp_reference_and_locale_are_rejected_per_request(partner, family):
    q = {"type": "HOUSEHOLD_CODE", "value": family.code}
    good = search_item("idtype-value", q, ref="a")
    bad_sort = search_item("idtype-value", q, ref="b", sort=[{"attribute_name": ["UIN"]}])
    bad_ts = search_item("idtype-value", q, ref="c") | {"timestamp": "2024-13-01T00:00:00Z"}
    repeat = search_item("idtype-value", q, ref="a")
    bad_locale = search_item("idtype-value", q, ref="d") | {"locale": "EN/GB"}
    no_ref = {k: v for k, v in search_item("idtype-value", q).items() if k != "reference_id"}
    vie = search_item("idtype-value", q, ref="e") | {"locale": "vie"}
    answers = search(partner, good, bad_sort, bad_ts, repeat, bad_locale, no_ref, vie)
    assert answers[0]["status"] == "succ"
    rejected(answers[1], "rjct.sort.invalid")
    rejected(answers[2], "rjct.timestamp.invalid")
    rejected(answers[3], "rjct.reference_id.duplicate")
    rejected(answers[4], "rjct.search_criteria.invalid")
    rejected(answers[5], "rjct.reference_id.invalid")
    assert answers[6]["status"] == "succ" and answers[6]["locale"] == "vie"


def test_a_page_is_read_in_a_fixed_number_of_queries(partner, ward):
    p, secret = partner
    c = client(p, secret)
    query = [{"expression1": expr("commune_code", "eq", ward.code)}]

    def count():
        body = search_envelope(p, search_item("predicate", query))
        with CaptureQueriesContext(connection) as queries:
            assert post(c, SEARCH, body).status_code == 200
        return len(queries)

    f.household(ward)
    count()  # the partner's area is resolved once, then kept (accounts.roles)
    few = count()
    for _ in range(6):
        f.household(
            ward, members=[f.member(), f.member("Lê Thị B", relationship="spouse", sex="female")]
        )
    assert count() == few


# ---------------------------------------------------------------------------- personal data


def test_a_partner_without_personal_data_rights_gets_none(family, ward):
    p = make_partner(communes=[ward], role=Role.ANALYST)
    [group] = records(one(p, "idtype-value", {"type": "HOUSEHOLD_CODE", "value": family.code}))
    text = json.dumps(group, ensure_ascii=False)
    for secret in (
        "Đinh",
        "HK-0001",
        "CD-1",
        family.address,
        family.members.get(relationship="head").citizen_id,
    ):
        assert secret not in text
    assert group["group_head_info"]["demographic_info"]["birth_year"] == 1950
    rejected(
        one(p, "idtype-value", {"type": "CITIZEN_ID", "value": "022050000001"}),
        "rjct.search_criteria.invalid",
    )
    assert not PersonalDataRead.objects.exists()


@pytest.mark.parametrize("op", ["eq", "gt", "lt", "ge", "le"])
def test_without_personal_data_rights_age_is_no_search(family, ward, op):
    """An age is a birth date seen through today's date: `age eq 10` asked on successive
    days turns over on the person's birthday. A partner that is not shown birth dates
    cannot ask by age, whether alone, second in an item, or under `not`."""
    p = make_partner(communes=[ward], role=Role.ANALYST)
    age = expr("age", op, 9)
    for query in (
        [{"expression1": age}],
        [{"expression1": expr("sex", "eq", "male"), "condition": "or", "expression2": age}],
        [{"expression1": expr("sex", "eq", "male"), "condition": "not", "expression2": age}],
        [{"expression1": expr("sex", "eq", "male")}, {"expression1": age}],
    ):
        for entity in ("Group", "Member"):
            answer = one(p, "predicate", query, response_entity=entity)
            rejected(answer, "rjct.search_criteria.invalid")
            assert "age" in answer["status_reason_message"] and "data" not in answer
    # A partner shown birth dates may.
    answer = one(make_partner(communes=[ward]), "predicate", [{"expression1": age}])
    assert answer["status"] == "succ", answer


def test_without_personal_data_rights_birth_date_is_no_sort(family, ward):
    p = make_partner(communes=[ward], role=Role.ANALYST)
    query = [{"expression1": expr("commune_code", "eq", ward.code)}]
    for direction in ("asc", "desc"):
        answer = one(
            p,
            "predicate",
            query,
            response_entity="Member",
            sort=[{"attribute_name": "birth_date", "sort_order": direction}],
        )
        rejected(answer, "rjct.sort.invalid")
        assert "birth_date" in answer["status_reason_message"] and "data" not in answer
    # by registration date, as before
    answer = one(
        p,
        "predicate",
        query,
        response_entity="Member",
        sort=[{"attribute_name": "registration_date", "sort_order": "desc"}],
    )
    assert len(records(answer)) == 3
    # A partner shown birth dates sorts by them.
    members = records(
        one(
            make_partner(communes=[ward]),
            "predicate",
            query,
            response_entity="Member",
            sort=[{"attribute_name": "birth_date", "sort_order": "desc"}],
        )
    )
    births = [m["demographic_info"]["birth_date"] for m in members]
    assert births == ["2016-03-03", "1982-02-02", "1950-01-01"]


@pytest.mark.parametrize(
    "expression",
    [
        expr("province_code", "eq", "22"),
        expr("commune_code", "in", ["00001", "06652"]),
        expr("household_size", "ge", 1),
        expr("sex", "eq", "female"),
        expr("ethnicity", "in", ["03"]),
        expr("poverty_status", "in", ["poor", "not_poor"]),
    ],
)
def test_without_personal_data_rights_the_other_attributes_still_search(family, ward, expression):
    p = make_partner(communes=[ward], role=Role.ANALYST)
    answer = one(
        p,
        "predicate",
        [{"expression1": expression}],
        sort=[{"attribute_name": "household_code"}, {"attribute_name": "registration_date"}],
    )
    assert answer["status"] == "succ", answer


# ---------------------------------------------------------------------------- examples


def built(name: str, partner) -> dict:
    """The published example, addressed from this partner to this registry, now."""
    data = example(name)
    data["header"] = data.pop("headers", data.get("header"))
    data["header"].update(
        sender_id=partner.sender_id,
        receiver_id=settings.DCI_REGISTRY_ID,
        message_ts=now(),
    )
    data["message"]["search_request"][0]["timestamp"] = now()
    return data


def test_the_standards_example_requests_are_answered(partner, family):
    p, secret = partner
    c = client(p, secret)
    r = post(c, SEARCH, built("processflow1-1req.json", p))
    assert r.status_code == 200
    validate(r.json(), "OnSearch")
    [answer] = r.json()["message"]["search_response"]
    rejected(answer, "rjct.search_criteria.invalid")  # an expression query
    as_published = example("processflow1req.json")  # its header is named "headers"
    as_published["header"] = {"sender_id": p.sender_id}
    r = post(c, SEARCH, {k: v for k, v in as_published.items() if k != "header"})
    assert r.json()["message"]["error"]["code"] == "err.request.bad"
    flow = built("processflow1req.json", p)
    r = post(c, SEARCH, flow)  # both examples carry the same message_id: one is acted on
    assert r.status_code == 409
    assert r.json()["header"]["status_reason_code"] == "rjct.message_id.duplicate"
    flow["header"]["message_id"] = "processflow1req"
    r = post(c, SEARCH, flow)
    assert r.status_code == 200
    validate(r.json(), "OnSearch")
    rejected(r.json()["message"]["search_response"][0], "rjct.search_criteria.invalid")
    # the same request as a predicate over the published attributes: answered
    flow = built("processflow1req.json", p)
    criteria = flow["message"]["search_request"][0]["search_criteria"]
    criteria["query_type"] = "predicate"
    criteria["query"][0]["expression1"] = expr("commune_code", "eq", family.commune_id)
    criteria["sort"] = [{"attribute_name": "household_code", "sort_order": "asc"}]
    flow["header"]["message_id"] = "another"
    r = post(c, SEARCH, flow)
    assert r.status_code == 200
    validate(r.json(), "OnSearch")
    [answer] = r.json()["message"]["search_response"]
    assert codes(answer) == [family.code]


# ---------------------------------------------------------------------------- txn status


def status_envelope(partner, attribute_type, value, txn_type="search"):
    return {
        "header": header(partner, "txn-status"),
        "message": {
            "transaction_id": "status-1",
            "txnstatus_request": {
                "reference_id": "s1",
                "txn_type": txn_type,
                "attribute_type": attribute_type,
                "attribute_value": value,
            },
        },
    }


def test_txn_status_of_the_partners_own_searches(partner, family, ward):
    p, secret = partner
    c = client(p, secret)
    body = search_envelope(
        p,
        search_item("idtype-value", {"type": "HOUSEHOLD_CODE", "value": family.code}, ref="a"),
        search_item("expression", {}, ref="b"),
    )
    correlation = post(c, SEARCH, body).json()["message"]["correlation_id"]
    txn = body["message"]["transaction_id"]
    for attribute, value in [
        ("transaction_id", txn),
        ("correlation_id", correlation),
        ("reference_id_list", ["b"]),
    ]:
        r = post(c, STATUS, status_envelope(p, attribute, value))
        assert r.status_code == 200, r.content
        validate(r.json(), "TxnOnStatus")
        status = r.json()["message"]["txnstatus_response"]["txn_status"]
        assert status["transaction_id"] == txn and status["correlation_id"] == correlation
        entries = {e["reference_id"]: e for e in status["search_response"]}
        assert entries["b"]["status"] == "rjct"
        assert entries["b"]["status_reason_code"] == "rjct.search_criteria.invalid"
        if attribute != "reference_id_list":
            assert entries["a"]["status"] == "succ"
        assert family.code not in r.content.decode()  # statuses, never records
    other, other_secret = make_partner(communes=[ward])
    r = post(client(other, other_secret), STATUS, status_envelope(other, "transaction_id", txn))
    assert r.status_code == 404
    assert r.json()["message"]["error"]["code"] == "err.request.not_found"
    r = post(c, STATUS, status_envelope(p, "transaction_id", "never-sent"))
    assert r.json() | {"message": {}} == r.json() | {"message": {}}
    assert r.status_code == 404
    for bad in (
        status_envelope(p, "colour", "x"),
        status_envelope(p, "transaction_id", ""),
        status_envelope(p, "transaction_id", "x", txn_type="payment"),
    ):
        r = post(c, STATUS, bad)
        assert r.status_code == 400 and r.json()["message"]["error"]["code"] == "err.request.bad"
