"""OpenAPI: the document as a specification.

Every operation is tagged by its resource (the first path segment after `/api/v1/`; the tag's
description is the resource's view docstring), has a summary, and a description that ends with
who may call it (the roles whose permissions include the one the operation needs, read from
`core.api.permissions.required_perm`) and its area rule (the view's `area_rule`). Every
problem-details status an operation can answer is documented with the codes it carries.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.urls import NoReverseMatch, reverse
from django.utils import translation
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import warn
from drf_spectacular.generators import SchemaGenerator as BaseSchemaGenerator
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from core.access import roles_allowed

from .errors import PROBLEM_TYPE_BASE
from .filters import IntegerFilter
from .permissions import required_perm


class SchemaGenerator(BaseSchemaGenerator):
    """The document is written in English whatever the active language (Vietnamese by
    default): integrators read one stable text, and the committed openapi.yaml does not change
    with the language of the shell that generated it. Lazy labels are resolved to strings in
    get_schema (drf_spectacular.plumbing.normalize_result_object)."""

    def get_schema(self, request=None, public=False):
        with translation.override("en"):
            return super().get_schema(request=request, public=public)


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="Dotted path of the field, e.g. `members.1.citizen_id`."
    )
    code = serializers.CharField()
    reason = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (`application/problem+json`)."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    instance = serializers.CharField(required=False)
    errors = FieldErrorSerializer(many=True, required=False)
    allowed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="A refused review-workflow step (409): the steps the assessment accepts now, "
        "named as its actions (`village-meeting`, `post`, `complaints`, `approve`, `reject`); "
        "empty once the review is over.",
    )
    reasons_en = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="A household that does not qualify for a support package (400 "
        "`not_eligible`): why, in English.",
    )
    reasons_vi = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The same reasons in Vietnamese.",
    )


# Updates and steps carry the version they are based on (core.api.views.expected_version).
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    pattern=r'^(W/)?"?[1-9][0-9]{0,9}"?$',
    description='The version the change is based on, as an ETag (`"3"`): the record\'s '
    "`version`, or the `ETag` of the last response about it. Required: a change without it is "
    "refused with 428, and one based on an older version with 412 (nothing is written). A "
    "client that cannot set headers may send the body's `version` instead.",
)

LOCATION = {
    "required": True,
    "description": "The URL of the created resource (its detail endpoint).",
    "schema": {"type": "string", "format": "uri"},
}

ETAG = {
    "required": True,
    "description": 'The resource\'s version after this request, as an ETag (`"3"`): send it as '
    "`If-Match` with the next change (it equals the body's `version`; after a disbursement, "
    "`assignment_version`).",
    "schema": {"type": "string"},
}

# Creates may be retried safely with a key (core.api.idempotency).
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[!-~]{1,255}$",
    description="Makes a retry safe: 1–255 visible ASCII characters chosen by the client "
    "(e.g. a UUID), kept per user for `IDEMPOTENCY_KEY_HOURS` (24 by default). The same key "
    "with the same request answers the original response again (with "
    "`Idempotent-Replayed: true`) and creates nothing; with a different request, or while the "
    "first is still running, 409 (`idempotency_key_reused`, `idempotency_key_in_flight`). "
    "Only successful responses are kept: a retry after an error runs again.",
)

RETRY_AFTER = {
    "description": "Seconds until the client may send requests again.",
    "schema": {"type": "integer"},
}


# What each problem-details status means here, and the `code`s it carries (the problem's
# `type` is PROBLEM_TYPE_BASE + code).
PROBLEMS: dict[str, tuple[str, list[str]]] = {
    "400": (
        "Invalid request: a query parameter or a field of the body is wrong, or the change "
        "breaks a rule. `errors` names each field (dotted path) with its code and reason.",
        ["validation_error", "parse_error", "unknown_parameter", "invalid", "not_eligible"],
    ),
    "401": (
        "No valid credentials: send `Authorization: Token <key>`.",
        ["not_authenticated", "invalid_token", "token_expired", "token_revoked", "user_inactive"],
    ),
    "403": (
        "Not allowed: your role may not do this (`detail` names the roles that may), the "
        "change would reach outside your area, or the rule forbids it to you (a proposer "
        "approving their own proposal).",
        ["permission_denied", "outside_area", "proposer_cannot_approve", "own_upload"],
    ),
    "404": (
        "No such resource, or it lies outside your area (the two are not told apart).",
        ["not_found"],
    ),
    "409": (
        "The request conflicts with the current state: a version that is no longer current "
        "(sent in the body), a workflow step the record does not accept now (`allowed` lists "
        "those it does), a duplicate, a budget that cannot cover the amount, or an "
        "`Idempotency-Key` reused with another request.",
        [
            "stale_version",
            "illegal_transition",
            "conflict",
            "integrity_conflict",
            "insufficient_budget",
            "idempotency_key_reused",
            "idempotency_key_in_flight",
        ],
    ),
    "410": ("The file has expired and been deleted; run the export again.", ["gone"]),
    "412": (
        "`If-Match` names a version that is no longer current; the response's `ETag` is the "
        "current one. Re-read the record and apply the change again.",
        ["stale_version"],
    ),
    "413": ("The body is larger than this operation takes.", ["payload_too_large"]),
    "415": (
        "The body is not `application/json` (or another media type this operation lists).",
        ["unsupported_media_type"],
    ),
    "428": (
        'The change does not say which version it is based on: send `If-Match: "<version>"` '
        "or the body's `version`.",
        ["version_required"],
    ),
    "429": (
        "Too many requests from this client; retry after `Retry-After` seconds.",
        ["throttled"],
    ),
    "503": (
        "Another change to the same records was being written at the same time, and the "
        "database stopped this one (a deadlock): nothing was written. Send the same request "
        "again after `Retry-After` seconds.",
        ["try_again"],
    ),
}


# The 409 of an operation that hands out a background job's result (core.jobs.
# require_same_rights): a view names it in `problems` for those actions, in place of the
# general 409 above.
RESULT_CONFLICT = (
    "Your role or area changed since this result was computed (any change, a wider area "
    "too): it is no longer handed out. Run it again.",
    ["job_rights_changed"],
)


# The 409 of an operation that queues a background job (core.jobs.require_room): the general
# 409, or the caller's queue is full. A view names it in `problems` for those actions.
QUEUE_CONFLICT = (
    f"{PROBLEMS['409'][0][:-1]}; or you already have `JOBS_MAX_PENDING_PER_USER` background "
    "jobs queued or running (`too_many_jobs`): wait for one to finish (`GET /jobs/`).",
    [*PROBLEMS["409"][1], "too_many_jobs"],
)


def problem_example(status: str, code: str, meaning: str) -> dict:
    """A problem-details body as the API sends it for `status` (shape of ProblemSerializer)."""
    example = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": meaning.split(":")[0].split(".")[0],
        "status": int(status),
        "detail": meaning,
        "code": code,
        "instance": "/api/v1/…",
    }
    if status == "400":
        reason = "A citizen ID is exactly 12 ASCII digits (0-9)."
        example["detail"] = f"members.0.citizen_id: {reason}"
        example["errors"] = [{"field": "members.0.citizen_id", "code": "invalid", "reason": reason}]
    return example


# Summaries of the standard actions; `{one}` and `{many}` name the resource.
STANDARD_SUMMARIES = {
    "list": "List {many}",
    "create": "Create {a} {one}",
    "retrieve": "Get {a} {one}",
    "update": "Replace {a} {one}",
    "partial_update": "Update {a} {one}",
    "destroy": "Delete {a} {one}",
}
# Resources not named by their path segment (`budget-allocations`: budget allocation(s)).
NAMES = {"what-if": ("what-if run", "what-if runs")}
SUMMARY_MAX = 80
NATIONAL = "National administrators (superusers) may call every operation."


def first_sentence(doc: str) -> str:
    """The docstring's first sentence, without a trailing clause after `:` or `;`."""
    text = " ".join(doc.split())
    sentence = re.split(r"(?<=[.:;])\s|\s\(|\s—\s", text, maxsplit=1)[0]
    return sentence.rstrip(".:;")


class AutoSchema(BaseAutoSchema):
    def _resource(self) -> tuple[str, str]:
        """The resource's name, singular and plural, from the last segment of the path that
        is not a parameter (`field/uploads/{id}`: upload, uploads)."""
        segment = [t for t in self._tokenize_path() if not t.startswith("{")][-1]
        many = segment.replace("-", " ")
        return NAMES.get(segment, (many.removesuffix("s"), many))

    def get_summary(self) -> str | None:
        action = getattr(self.view, "action", None)
        method = getattr(self.view, action or self.method.lower(), None)
        doc = (getattr(method, "__doc__", None) or "").strip()
        if not doc and action in STANDARD_SUMMARIES:
            one, many = self._resource()
            article = "an" if one[0] in "aeiou" else "a"
            return STANDARD_SUMMARIES[action].format(a=article, one=one, many=many)
        summary = first_sentence(doc or self.view.__class__.__doc__ or "")
        if not summary or len(summary) > SUMMARY_MAX:
            warn(f"no summary of at most {SUMMARY_MAX} characters: {summary!r}")
        return summary

    def get_description(self) -> str:
        text = super().get_description()
        return "\n\n".join(part for part in (text, self._roles(), self._area()) if part)

    def _roles(self) -> str:
        perm = required_perm(SimpleNamespace(method=self.method.upper()), self.view)
        if perm is None:
            return f"**Roles:** none. {NATIONAL}"
        roles = ", ".join(f"`{role}`" for role in roles_allowed(perm))
        return f"**Roles:** {roles or 'none'} (permission `{perm}`). {NATIONAL}"

    def _area(self) -> str:
        rule = getattr(self.view, "area_rule", None)
        if not rule:
            warn(f"{self.view.__class__.__name__} has no area_rule")
            return ""
        return f"**Area:** {rule}"

    def _error_codes(self) -> list[str]:
        # 400: any query parameter (or body) may be invalid; 404: an id in the path may name
        # nothing; 413: a body beyond the limits (core.api.limits); 415: a body that is not
        # JSON; 429: throttled; 503: a write the database stopped for another (a deadlock).
        codes = {"400", "401", "403", "429"}
        method = self.method.upper()
        if "{" in self.path:
            codes.add("404")
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            codes |= {"409", "503"}
        if method in {"POST", "PUT", "PATCH"}:
            codes |= {"413", "415"}
        if self._takes_version():
            codes |= {"412", "428"}
        extra = getattr(self.view, "extra_problem_statuses", {})
        codes |= set(extra.get(getattr(self.view, "action", None), ()))
        return sorted(codes)

    def _takes_version(self) -> bool:
        """A state change that names the version it is based on (If-Match or `version`)."""
        parameters = self.get_override_parameters()
        return any(getattr(p, "name", None) == "If-Match" for p in parameters)

    def _creates_location(self) -> bool:
        """A 201 of this operation carries `Location` (core.api.views.AuditedViewSetMixin)."""
        action = getattr(self.view, "action", None)
        if action in getattr(self.view, "created_routes", {}):
            return True
        basename = getattr(self.view, "basename", None)
        if action != "create" or not basename:
            return False
        try:
            reverse(f"{basename}-detail", kwargs={"pk": "00000000-0000-0000-0000-000000000000"})
        except NoReverseMatch:
            return False
        return True

    def _answers_etag(self) -> bool:
        """2xx answers carry the version as an ETag: the detail responses of versioned
        resources (VersionedResponsesMixin.respond) and every step that takes If-Match."""
        from .views import VersionedResponsesMixin

        action = getattr(self.view, "action", None)
        versioned = isinstance(self.view, VersionedResponsesMixin) and action in {
            "retrieve",
            "create",
            "update",
            "partial_update",
        }
        return versioned or self._takes_version()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        etag = self._answers_etag()
        for code, response in responses.items():
            if code == "201" and self._creates_location():
                response.setdefault("headers", {})["Location"] = LOCATION
            if code.startswith("2") and etag:
                response.setdefault("headers", {})["ETag"] = ETAG
        for code in self._error_codes():
            response = self._get_response_for_code(
                ProblemSerializer, code, media_types=["application/problem+json"]
            )
            own = getattr(self.view, "problems", {}).get(getattr(self.view, "action", None), {})
            meaning, problem_codes = own.get(code) or PROBLEMS[code]
            types = ", ".join(f"`{c}`" for c in problem_codes)
            response["description"] = (
                f"{meaning} Codes (type `{PROBLEM_TYPE_BASE}<code>`): {types}."
            )
            content = response["content"]["application/problem+json"]
            content["example"] = problem_example(code, problem_codes[0], meaning)
            if code in {"429", "503"}:
                response["headers"] = {"Retry-After": RETRY_AFTER}
            responses.setdefault(code, response)
        return responses


# Units and code lists, by field name, told wherever a field of that name appears (a body, a
# response or a query parameter) unless its own description already says so.
_VND = "Whole VND (đồng)."
UNITS: dict[str, tuple[str, str]] = {
    # name: (unit sentence, a word that shows a description already states it)
    **{
        name: (_VND, "VND")
        for name in (
            "amount",
            "base_amount",
            "allocated",
            "committed",
            "disbursed",
            "available",
            "income_before",
            "income_after",
        )
    },
    **{
        f"income_{source}": (
            "Whole VND received over the 12 months before the survey date from this source.",
            "VND",
        )
        for source in ("wages", "agriculture", "business", "allowances", "other")
    },
    "annual_income": (
        "Whole VND received over the 12 months before the survey date, all sources.",
        "VND",
    ),
    "income_per_person_month": (
        "Whole VND per person per month: the annual income ÷ 12 ÷ the household's members.",
        "VND",
    ),
    "line": (
        "The standard's income line for the household's area (urban or rural), whole VND per "
        "person per month.",
        "VND",
    ),
    "floor_area_m2": ("Living floor area of the dwelling, in square metres (m²).", "m²"),
    **{
        name: (
            "Commune-level unit code: 5 digits, from the General Statistics Office's list as "
            "reorganised in 2025 (`/communes/`).",
            "digit",
        )
        for name in ("commune", "previous_commune")
    },
    "province": ("Province code: 2 digits (`/provinces/`; Quảng Ninh is `22`).", "digit"),
    "ethnicity": (
        "Ethnic group code: 2 digits, `01` (Kinh) to `54`, from the General Statistics Office's "
        "list (`/ethnic-groups/`).",
        "digit",
    ),
}


def _with_unit(node: dict, name: str) -> None:
    unit = UNITS.get(name)
    if unit is None or "$ref" in node:
        return
    sentence, marker = unit
    description = node.get("description", "")
    if marker not in description:
        node["description"] = f"{description} {sentence}".strip()


def document_units(result, **kwargs):
    """Postprocessing hook: the units and code lists of UNITS, on every field they name."""
    for component in result["components"]["schemas"].values():
        for name, node in (component.get("properties") or {}).items():
            _with_unit(node, name)
    for item in result["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    _with_unit(parameter, parameter["name"])
    return result


def document_tags(result, generator, **kwargs):
    """Postprocessing hook: the document's tags, one per resource, each described by the
    docstrings of the views under it (outside /api/v1/: by the first segment, e.g. `dci`)."""
    prefix = spectacular_settings.SCHEMA_PATH_PREFIX
    described: dict[str, list[str]] = {}
    for path, _regex, _method, callback in generator.endpoints:
        if path.startswith(prefix):
            tag = path.removeprefix(prefix).split("/")[0]
        else:
            tag = path.strip("/").split("/")[0]
        doc = " ".join((callback.cls.__doc__ or "").split())
        if doc and doc not in described.setdefault(tag, []):
            described[tag].append(doc)
    used = sorted(
        {t for item in result["paths"].values() for op in item.values() for t in op["tags"]}
    )
    for tag in used:
        if not described.get(tag):
            warn(f"the resource {tag!r} has no view docstring to describe its tag")
    result["tags"] = [
        {"name": tag, "description": "\n\n".join(described.get(tag, []))} for tag in used
    ]
    return result


class FilterExtension(DjangoFilterExtension):
    """Integer filters show their bounds (core.api.filters)."""

    target_class = "core.api.filters.FilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if isinstance(filter_field, IntegerFilter):
            for parameter in parameters:
                parameter["schema"].update(
                    minimum=filter_field.extra["min_value"],
                    maximum=filter_field.extra["max_value"],
                )
        return parameters
