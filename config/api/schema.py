"""OpenAPI: every operation documents its problem-details error responses."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework import serializers


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


RETRY_AFTER = {
    "description": "Seconds until the client may send requests again.",
    "schema": {"type": "integer"},
}


class AutoSchema(BaseAutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "429"]
        method = self.method.upper()
        if self._is_list_view() is False or method != "GET":
            codes.append("404")
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            codes += ["400", "409"]
        if method in {"PUT", "PATCH"}:
            codes += ["412", "428"]
        return sorted(set(codes) - ({"404"} if self._is_create_operation() else set()))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            response = self._get_response_for_code(
                ProblemSerializer, code, media_types=["application/problem+json"]
            )
            if code == "429":
                response["description"] = "Too many requests from this client; retry later."
                response["headers"] = {"Retry-After": RETRY_AFTER}
            responses.setdefault(code, response)
        return responses


_STORAGE_LIMITS = {32767, 2147483647, 9223372036854775807}


def drop_storage_limits(result, generator, request, public):
    """Integer bounds that only reflect the database's column size (they differ between
    SQLite and PostgreSQL) are not API rules: leave them out so the schema is one document."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "integer" and node.get("maximum") in _STORAGE_LIMITS:
                node.pop("maximum")
                node.pop("format", None)
                if node.get("minimum") in {-m - 1 for m in _STORAGE_LIMITS}:
                    node.pop("minimum")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
