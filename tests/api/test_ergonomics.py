"""Small things integrators rely on (issue 13, point 5): `Location` on a 201, the new version
and ETag after every state change, an API root listing every list endpoint, unknown or
out-of-range query parameters refused by name, and 403s that name the roles allowed."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import pytest
from django.urls import URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

from accounts.roles import ROLE_PERMISSIONS, Role
from core.access import Perm, roles_allowed
from core.api.root import list_endpoints
from core.errors import NotAllowed
from core.models import ChangeEvent
from support import services as support_services
from tests import factories as f
from tests.api.test_errors import assert_problem
from tests.api.test_households import body as household_body
from tests.poverty.conftest import submit, survey_body
from tests.support import conftest as support
from tests.support.conftest import allocate

pytestmark = pytest.mark.django_db

# the support tests' fixtures: a program tree, a housing package, a poor household
tree, housing_package = support.tree, support.housing_package
leader, leader_api, poor_household = support.leader, support.leader_api, support.poor_household


# ------------------------------------------------------------------------------ Location


def _household(ctx):
    return "/api/v1/households/", household_body(ctx["ward"])


def _member(ctx):
    h = f.household(ctx["ward"])
    return "/api/v1/members/", {
        "household": str(h.id),
        "full_name": "Lò Văn Mới",
        "date_of_birth": "2020-05-06",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "child",
    }


def _village(ctx):
    return "/api/v1/villages/", {"commune": ctx["ward"].code, "name": "Thôn Mới"}


def _survey(ctx):
    h = f.household(ctx["ward"])
    return "/api/v1/surveys/", survey_body(h)


def _program(ctx):
    return "/api/v1/programs/", {"code": "QN-X", "name": "Chương trình X", "level": "program"}


def _livelihood_model(ctx):
    return "/api/v1/livelihood-models/", {
        "name": "Nuôi ong lấy mật",
        "type": "bees",
        "commune": ctx["ward"].code,
        "start_date": "2026-03-01",
        "budget": 300_000_000,
    }


def _assignment(ctx):
    return "/api/v1/assignments/", {
        "household": str(ctx["poor_household"].id),
        "package": str(ctx["housing_package"].id),
        "period": 2026,
    }


CREATES = {
    "household": _household,
    "member": _member,
    "village": _village,
    "survey": _survey,
    "program": _program,
    "livelihood-model": _livelihood_model,
    "assignment": _assignment,
}


@pytest.fixture
def ctx(request, ward):
    context = {"ward": ward}
    if request.node.callspec.params.get("kind") == "assignment":
        context["poor_household"] = request.getfixturevalue("poor_household")
        context["housing_package"] = request.getfixturevalue("housing_package")
    return context


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_a_201_carries_the_location_of_what_it_created(kind, ctx, api):
    url, body = CREATES[kind](ctx)
    r = api.post(url, body)
    assert r.status_code == 201, r.json()
    location = r["Location"]
    assert location.startswith("http://testserver/api/v1/")
    assert location.endswith(f"/{r.json()['id']}/")
    got = api.get(location)
    assert got.status_code == 200 and got.json()["id"] == r.json()["id"]


# ---------------------------------------------------------------------- versions on actions


def test_each_review_step_answers_the_version_and_the_next_step_uses_its_etag(ward, leader_api):
    h = f.household(ward)
    a = submit(h).assessments.get(standard__code="VN-ND07-2021")
    url = f"/api/v1/assessments/{a.id}"
    etag = f'"{a.version}"'
    start = date.today() - timedelta(days=20)
    steps = [
        ("village-meeting", {"meeting_date": str(start), "attendees": 10, "agreeing": 8}),
        ("post", {"posted_from": str(start), "posted_to": str(start + timedelta(days=7))}),
        ("approve", {"decision_number": "1/QĐ", "decision_date": str(date.today())}),
    ]
    for step, body in steps:
        r = leader_api.post(f"{url}/{step}/", body, HTTP_IF_MATCH=etag)
        assert r.status_code == 200, (step, r.json())
        assert r["ETag"] == f'"{r.json()["version"]}"'
        assert r["ETag"] != etag
        etag = r["ETag"]


def test_disbursing_answers_the_assignments_new_version_for_its_next_step(
    ward_api, leader_api, poor_household, housing_package, tree, ward
):
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    r = ward_api.post(
        "/api/v1/assignments/",
        {"household": str(poor_household.id), "package": str(housing_package.id), "period": 2026},
    )
    url = f"/api/v1/assignments/{r.json()['id']}"
    r = leader_api.post(f"{url}/approve/", {}, HTTP_IF_MATCH=r["ETag"])
    assert r.status_code == 200 and r["ETag"] == f'"{r.json()["version"]}"'
    r = ward_api.post(
        f"{url}/disburse/",
        {"date": "2026-11-01", "amount": 20_000_000, "evidence_reference": "PC-001"},
        HTTP_IF_MATCH=r["ETag"],
    )
    assert r.status_code == 201, r.json()
    assert r["ETag"] == f'"{r.json()["assignment_version"]}"'
    assert r["Location"].endswith(f"/api/v1/disbursements/{r.json()['id']}/")
    r = ward_api.post(f"{url}/complete/", {}, HTTP_IF_MATCH=r["ETag"])
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "completed" and r["ETag"] == f'"{r.json()["version"]}"'


def test_closing_a_household_answers_its_new_version(api, ward):
    h = f.household(ward)
    r = api.post(
        f"/api/v1/households/{h.id}/close/",
        {"status": "dissolved", "reason": "Cả hộ chuyển đi", "date": str(date.today())},
        HTTP_IF_MATCH=f'"{h.version}"',
    )
    assert r.status_code == 200, r.json()
    assert r["ETag"] == f'"{r.json()["version"]}"' == f'"{h.version + 1}"'


# ---------------------------------------------------------------------------- forbidden role


def test_a_forbidden_role_is_told_which_roles_may(ward, poor_household, housing_package, tree):
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    officer = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    r = officer.post(
        "/api/v1/assignments/",
        {"household": str(poor_household.id), "package": str(housing_package.id), "period": 2026},
    )
    r = officer.post(f"/api/v1/assignments/{r.json()['id']}/approve/", {}, HTTP_IF_MATCH=r["ETag"])
    p = assert_problem(r, 403)
    assert p["detail"] == (
        "Your role does not allow this (assignment_approve). Allowed: commune_leader."
    )


def test_a_service_refusal_names_the_allowed_roles_too(ward):
    """The check in the services (any door) says the same as the API's permission class."""
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    with pytest.raises(NotAllowed) as refused:
        support_services.program_save(
            actor=enumerator, program=None, values={"code": "X", "name": "x", "level": "program"}
        )
    assert refused.value.detail == (
        "Your role does not allow this (support_manage). Allowed: province_officer."
    )


@pytest.mark.parametrize("perm", list(Perm))
def test_the_allowed_roles_come_from_the_role_table(perm):
    assert roles_allowed(perm) == [
        str(role) for role, perms in ROLE_PERMISSIONS.items() if perm in perms
    ]


# -------------------------------------------------------------------------------- API root


def _route_names() -> set[str]:
    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            else:
                yield p.name

    return {name for name in walk(get_resolver().url_patterns) if name}


LIST_ROUTES = sorted(n for n in _route_names() if n.endswith("-list"))
PLAIN_LISTS = ["changes", "relapse-watchlist", "budget-execution", "coverage"]


def test_the_root_lists_every_list_endpoint(api):
    r = api.get("/api/v1/")
    assert r.status_code == 200
    listed = set(r.json().values())
    expected = {f"http://testserver{reverse(n)}" for n in [*LIST_ROUTES, *PLAIN_LISTS]}
    assert expected <= listed, expected - listed
    assert len(LIST_ROUTES) >= 20
    assert all(api.get(url).status_code in (200, 400) for url in listed)  # 400: a required param
    assert "/api/v1/" not in openapi()["paths"]


# ------------------------------------------------------------------- unknown query params


@functools.cache
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def documented_params(path: str) -> list[str]:
    operation = openapi()["paths"][path]["get"]
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]


LIST_PATHS = sorted(list_endpoints().values())


@pytest.mark.parametrize("path", LIST_PATHS)
def test_an_unknown_query_parameter_is_refused_by_name(path, api):
    p = assert_problem(api.get(path, {"survey": "x", "bogus": "1"}), 400)
    unknown = {e["field"] for e in p["errors"] if e["reason"] == "Unknown parameter."}
    documented = set(documented_params(path))
    assert unknown == {"survey", "bogus"} - documented


@pytest.mark.parametrize("path", LIST_PATHS)
def test_every_documented_query_parameter_is_known(path, api):
    params = documented_params(path)
    r = api.get(path, {name: "" for name in params} | {"format": "json"})
    if r.status_code != 200:  # an empty value may be invalid, but never unknown
        p = assert_problem(r, 400)
        assert not [e for e in p["errors"] if e["reason"] == "Unknown parameter."], p


def test_known_filters_still_filter(api, ward):
    h = f.household(ward)
    f.household(ward)
    r = api.get("/api/v1/members/", {"household": str(h.id), "page_size": 1})
    assert r.status_code == 200, r.json()
    assert [m["household"] for m in r.json()["results"]] == [str(h.id)]


def test_a_report_refuses_an_unknown_parameter(api):
    p = assert_problem(api.get("/api/v1/reports/budget-execution/", {"yaer": 2026}), 400)
    assert p["errors"] == [
        {"field": "yaer", "code": "unknown_parameter", "reason": "Unknown parameter."}
    ]


# ------------------------------------------------------------------------ out-of-range pages


@pytest.mark.parametrize("value", ["0", "-1", "501", "abc"])
def test_a_page_size_out_of_range_is_refused_by_name(api, value):
    assert_problem(api.get("/api/v1/households/", {"page_size": value}), 400, field="page_size")


def test_a_malformed_cursor_is_refused_by_name(api):
    assert_problem(api.get("/api/v1/households/", {"cursor": "not-a-cursor"}), 400, field="cursor")


def test_a_change_feed_position_past_its_end_is_refused(api, ward):
    f.household(ward)
    last = api.get("/api/v1/changes/").json()["next_after"]
    assert api.get("/api/v1/changes/", {"after": last}).json()["results"] == []
    assert_problem(api.get("/api/v1/changes/", {"after": last + 1000}), 400, field="after")


def test_a_change_feed_position_outside_the_area_is_refused_as_past_the_end(ward, rural):
    """Positions are checked against the reader's own events: the position of another area's
    event is refused as one past the end is, so that probing does not find the feed's head
    (how many changes were made in the whole country)."""
    reader = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    f.household(ward)
    mine = reader.get("/api/v1/changes/").json()["next_after"]
    f.household(rural)
    theirs = ChangeEvent.objects.order_by("seq").last().seq
    assert theirs > mine
    page = reader.get("/api/v1/changes/", {"after": mine}).json()
    assert page == {"results": [], "has_more": False, "next_after": mine, "rights": page["rights"]}
    beyond = reader.get("/api/v1/changes/", {"after": theirs + 1000})
    outside = reader.get("/api/v1/changes/", {"after": theirs})
    assert_problem(outside, 400, field="after")
    same = {k: v for k, v in outside.json().items() if k != "instance"}  # the path asked
    assert same == {k: v for k, v in beyond.json().items() if k != "instance"}


# ------------------------------------------------------------------------------- OpenAPI


def test_the_document_describes_location_and_etag():
    paths = openapi()["paths"]
    created = paths["/api/v1/households/"]["post"]["responses"]["201"]
    assert "Location" in created["headers"]
    approved = paths["/api/v1/assignments/{id}/approve/"]["post"]["responses"]["200"]
    assert "ETag" in approved["headers"]
    disbursed = paths["/api/v1/assignments/{id}/disburse/"]["post"]["responses"]["201"]
    assert {"Location", "ETag"} <= set(disbursed["headers"])
