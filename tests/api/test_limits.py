"""Limits and bad input at the doors of the API: a 4xx problem-details answer that names
what is wrong (413, 400, 404), never a server error, and nothing written."""

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Job
from geo.models import Village
from households.models import Household
from tests.jobs import run_jobs

from .test_errors import HEAD, assert_problem, post_household

pytestmark = pytest.mark.django_db


def fields_of(problem: dict) -> dict[str, str]:
    return {e["field"]: e["code"] for e in problem.get("errors", [])}


def post_json(api, path: str, text: str | bytes):
    return api.post(path, data=text, content_type="application/json")


# ---------------------------------------------------------------------------- body size


def test_a_body_over_the_limit_is_413_and_one_under_it_is_read(api, ward, settings):
    settings.API_MAX_BODY_BYTES = 4000
    r = post_household(api, ward.code, [HEAD], address="x" * 5000)
    p = assert_problem(r, 413, code="payload_too_large")
    assert "4,000" in p["detail"]
    r = post_household(api, ward.code, [HEAD], address="x" * 3000)
    assert_problem(r, 400, field="address")  # read, and refused for what it says
    assert not Household.objects.exists()


def test_the_default_limit_reads_a_body_beyond_djangos_two_and_a_half_megabytes(api, ward):
    r = post_household(api, ward.code, [HEAD], address="x" * 3_000_000)
    assert_problem(r, 400, field="address")
    r = post_household(api, ward.code, [HEAD], address="x" * 6_000_000)
    assert_problem(r, 413, code="payload_too_large")


def registry_record(ward, n: int) -> dict:
    return {
        "external_id": f"HK-{n}",
        "commune": ward.code,
        "address": "Số 1",
        "members": [
            {
                "external_id": f"CD-{n}",
                "full_name": "Nguyễn Văn An",
                "date_of_birth": "1980-05-01",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "head",
                "citizen_id": None,
            }
        ],
    }


def test_registry_sync_takes_larger_bodies_and_files_within_their_own_limits(
    api, ward, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.API_MAX_BODY_BYTES = 2_000
    settings.REGISTRY_SYNC_MAX_BODY_BYTES = 20_000
    settings.REGISTRY_SYNC_MAX_FILE_BYTES = 60_000
    records = [registry_record(ward, n) for n in range(10)]  # about 3 KB
    r = api.post("/api/v1/registry-sync/", records, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["counts"]["created"] == 10
    ndjson = "\n".join(json.dumps(x) for x in records)
    r = api.post("/api/v1/registry-sync/", ndjson, content_type="application/x-ndjson")
    assert r.status_code == 200 and r.json()["counts"]["unchanged"] == 10
    big = [registry_record(ward, n) for n in range(100)]  # about 30 KB
    r = api.post("/api/v1/registry-sync/", big, format="json")
    assert_problem(r, 413, code="payload_too_large")
    upload = SimpleUploadedFile("registry.ndjson", "\n".join(json.dumps(x) for x in big).encode())
    r = api.post("/api/v1/registry-sync/", {"file": upload}, format="multipart")
    assert r.status_code == 202, r.content
    run_jobs()
    assert Job.objects.get(pk=r.json()["id"]).counts["created"] == 90
    huge = SimpleUploadedFile("registry.ndjson", b"\n" * 70_000)
    r = api.post("/api/v1/registry-sync/", {"file": huge}, format="multipart")
    assert_problem(r, 413, code="payload_too_large")


def test_form_fields_beyond_the_memory_limit_are_413(api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    upload = SimpleUploadedFile("registry.ndjson", b"\n")
    r = api.post(
        "/api/v1/registry-sync/", {"file": upload, "format": "x" * 5_000}, format="multipart"
    )
    assert_problem(r, 413, code="payload_too_large")


# ---------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("q=a%00b", "q", "null_character"),
        ("q=%FF%FE", "q", "invalid_utf8"),
        ("commune=06652&unknown%00=1", "unknown\\x00", "null_character"),
    ],
)
def test_nul_and_invalid_utf8_in_query_parameters_are_400(api, query, field, code):
    p = assert_problem(api.get(f"/api/v1/households/?{query}"), 400, field=field)
    assert fields_of(p)[field] == code


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (b'"members": [{"full_name": "An\\u0000"}]', "members.0.full_name", "null_character"),
        (b'"address": "S\xc3\x91 \xff\xfe"', "address", "invalid_utf8"),
        (b'"address": "\\ud800"', "address", "invalid_utf8"),
        (b'"phone\\u0000": "1"', "phone\\x00", "null_character"),
    ],
)
def test_nul_and_invalid_utf8_in_json_fields_are_400_naming_the_field(api, ward, body, field, code):
    text = b'{"commune": "' + ward.code.encode() + b'", ' + body + b"}"
    p = assert_problem(post_json(api, "/api/v1/households/", text), 400, field=field)
    assert fields_of(p)[field] == code
    assert not Household.objects.exists()


def test_a_valid_surrogate_pair_is_text(api, ward):
    r = post_household(api, ward.code, [{**HEAD, "full_name": "Hoà \U0001f600"}])
    assert r.status_code == 201, r.content


def test_a_nul_in_a_multipart_field_is_400_naming_the_field(api):
    upload = SimpleUploadedFile("r.ndjson", b"", content_type="application/x-ndjson")
    r = api.post("/api/v1/registry-sync/", {"file": upload, "format": "nd\x00"}, format="multipart")
    assert fields_of(assert_problem(r, 400, field="format"))["format"] == "null_character"
    assert not Job.objects.exists()


@pytest.mark.parametrize("fmt", ["multipart", "form"])
def test_a_form_body_where_json_is_expected_is_415(api, ward, fmt):
    if fmt == "multipart":
        r = api.post("/api/v1/villages/", {"commune": ward.code, "name": "Thôn"}, format=fmt)
    else:
        form = "application/x-www-form-urlencoded"
        r = api.post("/api/v1/villages/", f"commune={ward.code}&name=Th", content_type=form)
    assert_problem(r, 415, code="unsupported_media_type")
    assert not Village.objects.exists()


def test_too_many_query_parameters_are_400(api):
    fields = "&".join(f"x{i}=1" for i in range(1_001))  # DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert_problem(api.get(f"/api/v1/households/?{fields}"), 400)


def test_a_nul_in_a_header_is_400(api):
    assert_problem(api.get("/api/v1/households/", HTTP_X_TRACE="a\x00b"), 400, field="X-Trace")


def test_a_nul_in_an_id_of_the_path_is_404(api):
    for path in ("/api/v1/communes/%00/", "/api/v1/provinces/2%002/"):
        assert_problem(api.get(path), 404, code="not_found")


# ---------------------------------------------------------------------------- JSON structure


def nested(depth: int) -> str:
    return '{"name": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_json_nesting_is_capped(api):
    # 32 levels are read (and refused for what they say), 33 are not read at all.
    assert_problem(post_json(api, "/api/v1/villages/", nested(32)), 400, field="name")
    p = assert_problem(post_json(api, "/api/v1/villages/", nested(33)), 400)
    assert p["code"] == "too_deeply_nested"
    for depth in (1_000, 100_000):
        deep = post_json(api, "/api/v1/villages/", "[" * depth + "]" * depth)
        assert_problem(deep, 400, code="too_deeply_nested")


@pytest.mark.parametrize("number", ["1e999", "NaN", "Infinity", "-Infinity", "1" * 5_000])
def test_numbers_nothing_can_store_are_parse_errors(api, ward, number):
    body = f'{{"commune": "{ward.code}", "address": "Thôn 1", "latitude": {number}}}'
    p = assert_problem(post_json(api, "/api/v1/households/", body), 400, code="parse_error")
    assert len(p["detail"]) < 100  # the number named, not echoed whole


# ---------------------------------------------------------------------------- integers


@pytest.mark.parametrize("version", [2**31, 2**63, 2**70, -1, 0])
def test_versions_are_range_checked(api, ward, version):
    from tests import factories as f

    h = f.household(ward)
    r = api.patch(f"/api/v1/households/{h.id}/", {"address": "Thôn 2", "version": version})
    assert_problem(r, 400, field="version")
    h.refresh_from_db()
    assert h.version == 1 and h.address == "Thôn 1"


def test_a_huge_if_match_is_a_stale_version(api, ward):
    from tests import factories as f

    h = f.household(ward)
    r = api.patch(f"/api/v1/households/{h.id}/", {"address": "Thôn 2"}, HTTP_IF_MATCH=f'"{2**70}"')
    assert_problem(r, 412, code="stale_version")


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/review-rounds/", "year=99999999999999999999", "year"),
        ("/api/v1/review-rounds/", "month=2026.5", "month"),
        ("/api/v1/review-rounds/", "year=-1", "year"),
        ("/api/v1/budget-allocations/", "year=40000", "year"),
        ("/api/v1/assignments/", "period=1e400", "period"),
        ("/api/v1/targets/", "year=NaN", "year"),
        ("/api/v1/households/", "page_size=0", "page_size"),
        ("/api/v1/households/", "page_size=501", "page_size"),
        ("/api/v1/households/", "page_size=abc", "page_size"),
        ("/api/v1/changes/", f"after={2**70}", "after"),
        ("/api/v1/reports/budget-execution/", f"year={2**40}", "year"),
    ],
)
def test_integers_in_query_parameters_are_range_checked(api, path, query, field):
    assert_problem(api.get(f"{path}?{query}"), 400, field=field)


def test_page_size_within_its_bounds_is_taken(api, ward):
    from tests import factories as f

    for _ in range(3):
        f.household(ward)
    assert len(api.get("/api/v1/households/?page_size=2").json()["results"]) == 2
    assert api.get("/api/v1/households/?page_size=500").status_code == 200


@pytest.mark.parametrize(
    ("cursor", "paths"),
    [
        ("not base64!", ["members", "households"]),
        (base64.b64encode(b"p=%00").decode(), ["members", "households"]),
        (base64.b64encode(b"o=-5").decode(), ["members", "households"]),
        # targets are ordered by their UUID (households by their code, and the records of a
        # household by its code: any text but NUL)
        (base64.b64encode(b"p=not-a-uuid").decode(), ["targets"]),
    ],
)
def test_a_cursor_this_api_did_not_write_is_400(api, cursor, paths):
    for path in paths:
        r = api.get(f"/api/v1/{path}/", {"cursor": cursor})
        assert_problem(r, 400, field="cursor")


# ---------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    "since",
    ["2026-01-01T00:00:00+18:52", "2026-01-01T00:00:00-14:30", "1899-12-31T00:00:00Z"],
)
def test_timestamps_in_filters_are_parsed_strictly(api, since):
    assert_problem(api.get("/api/v1/households/", {"updated_since": since}), 400)
    assert_problem(api.get("/api/v1/members/", {"updated_since": since}), 400)


def test_existing_offsets_are_taken(api):
    for since in ("2026-01-01T00:00:00+14:00", "2026-01-01T00:00:00-12:00"):
        assert api.get("/api/v1/households/", {"updated_since": since}).status_code == 200


@pytest.mark.parametrize(
    ("dob", "code"), [("1899-12-31", "invalid_date"), ("2999-01-01", "invalid_date")]
)
def test_dates_of_birth_before_1900_or_in_the_future_are_400(api, ward, dob, code):
    r = post_household(api, ward.code, [{**HEAD, "date_of_birth": dob}])
    p = assert_problem(r, 400, field="members.0.date_of_birth")
    assert fields_of(p)["members.0.date_of_birth"] == code


# ---------------------------------------------------------------------------- not found


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/nothing",
        "/api/v1/households/00000000-0000-0000-0000-000000000000/poverty-status/",
        "/api/v1/households/not-a-uuid/poverty-status/",
        "/api/v1/registry-sync/not-a-uuid/rejected.csv",
        "/api/v1/jobs/12/",
        "/api/v1/communes/99999/",
    ],
)
def test_unknown_paths_and_ids_under_the_api_are_problem_404s(api, path):
    assert_problem(api.get(path), 404)


def test_unknown_paths_elsewhere_keep_the_html_page(client):
    r = client.get("/nothing-here/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_a_problem(rf):
    from core.api.errors import server_error

    r = server_error(rf.get("/api/v1/households/"))
    assert r.status_code == 500 and r["Content-Type"] == "application/problem+json"
    assert json.loads(r.content)["code"] == "error"
