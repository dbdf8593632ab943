"""One error format for the whole API: RFC 9457 problem details.

drf-standardized-errors does the walking of DRF's nested validation errors; this module
shapes the result as `application/problem+json` and maps domain errors and database
integrity errors to 4xx answers.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from drf_standardized_errors.formatter import ExceptionFormatter, flatten_errors
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from config.errors import Conflict, DomainError, StaleVersion

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://poverty.quangninh.gov.vn/problems/"


class DomainAPIException(exceptions.APIException):
    def __init__(self, error: DomainError, status_code: int):
        self.status_code = status_code
        self.domain_error = error
        if error.fields:
            detail = {
                k: [exceptions.ErrorDetail(m, code=error.code) for m in v]
                for k, v in error.fields.items()
            }
        else:
            detail = exceptions.ErrorDetail(error.detail, code=error.code)
        super().__init__(detail=detail, code=error.code)


class ProblemExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        request = self.context.get("request")
        if (
            isinstance(exc, StaleVersion)
            and request is not None
            and request.headers.get("If-Match")
        ):
            return DomainAPIException(exc, status.HTTP_412_PRECONDITION_FAILED)
        if isinstance(exc, DomainError):
            return DomainAPIException(exc, exc.status)
        if isinstance(exc, DjangoValidationError):
            detail = (
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"non_field_errors": exc.messages}
            )
            return exceptions.ValidationError(detail)
        if isinstance(exc, IntegrityError):
            # A race lost against a unique or check constraint: a conflict, not a crash.
            error = Conflict(
                "The change conflicts with existing data; nothing was written.",
                code="integrity_conflict",
            )
            return DomainAPIException(error, error.status)
        return super().convert_known_exceptions(exc)

    def get_response(self, exc: exceptions.APIException, data: dict) -> Response:
        response = super().get_response(exc, data)
        response.content_type = PROBLEM_CONTENT_TYPE
        request = self.context.get("request")
        if request is not None:
            # The body is JSON whatever the view renders (the schema view renders YAML, the
            # docs HTML): DRF renders the response with the request's renderer.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = PROBLEM_CONTENT_TYPE
        if isinstance(exc, DomainAPIException) and isinstance(exc.domain_error, StaleVersion):
            response["ETag"] = f'"{exc.domain_error.current}"'
        return response


class ProblemFormatter(ExceptionFormatter):
    def run(self) -> dict:
        exc = self.exc
        domain = getattr(exc, "domain_error", None)
        errors = flatten_errors(exc.detail) if not isinstance(exc.detail, str) else []
        if isinstance(exc, exceptions.ValidationError):
            code, title = "validation_error", "Invalid input"
            detail = (
                "; ".join(f"{e.attr}: {e.detail}" if e.attr else e.detail for e in errors)
                or "The request is not valid."
            )
        elif domain is not None:
            code, title, detail = domain.code, domain.title, domain.detail
        else:
            code = errors[0].code if errors else getattr(exc.detail, "code", exc.default_code)
            title = str(exc.default_detail)
            detail = errors[0].detail if errors else str(exc.detail)
        problem = {
            "type": PROBLEM_TYPE_BASE + code,
            "title": title,
            "status": exc.status_code,
            "detail": detail,
            "code": code,
        }
        request = self.context.get("request")
        if request is not None:
            problem["instance"] = request.get_full_path()
        field_errors = [
            {"field": e.attr or "non_field_errors", "code": e.code, "reason": e.detail}
            for e in errors
            if e.attr
        ]
        if field_errors:
            problem["errors"] = field_errors
        return problem
