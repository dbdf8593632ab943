"""OpenAPI: every operation documents its problem-details error responses."""

from django.urls import NoReverseMatch, reverse
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .filters import IntegerFilter


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
    required=False,
    description='Version the change is based on, as an ETag (`"3"`); or send `version`.',
)

LOCATION = {
    "description": "The URL of the created resource (its detail endpoint).",
    "schema": {"type": "string", "format": "uri"},
}

ETAG = {
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


class AutoSchema(BaseAutoSchema):
    def _error_codes(self) -> list[str]:
        # 400: any query parameter (or body) may be invalid; 404: an id in the path may name
        # nothing; 413: a body beyond the limits (core.api.limits); 429: throttled.
        codes = {"400", "401", "403", "429"}
        method = self.method.upper()
        if "{" in self.path:
            codes.add("404")
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            codes.add("409")
        if method in {"POST", "PUT", "PATCH"}:
            codes.add("413")
        if method in {"PUT", "PATCH"} or self._takes_version():
            codes |= {"412", "428"}
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
            if code == "429":
                response["description"] = "Too many requests from this client; retry later."
                response["headers"] = {"Retry-After": RETRY_AFTER}
            responses.setdefault(code, response)
        return responses


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
