"""One error format for the whole API: RFC 9457 problem details.

drf-standardized-errors does the walking of DRF's nested validation errors; this module
shapes the result as `application/problem+json` and maps domain errors and database
integrity errors to 4xx answers. Outside DRF's views (a path that matches no view, a body
refused before a view reads it, an error in a middleware) `problem_response` answers in the
same format for every path under /api/ (the `handler404`, `handler400` and `handler500` of
config.urls).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.views import defaults
from drf_standardized_errors.formatter import ExceptionFormatter, flatten_errors
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.errors import Conflict, DomainError, StaleVersion
from core.locking import lost_to_another_writer

from .renderers import JSONRenderer

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://poverty.quangninh.gov.vn/problems/"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Request body too large.")
    default_code = "payload_too_large"


def problem(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def problem_response(request: HttpRequest, **fields: Any) -> JsonResponse:
    """A problem-details answer made outside DRF (same shape as ProblemFormatter's)."""
    body = problem(instance=request.get_full_path(), **fields)
    return JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: a path under /api/ that names no resource (or an id that matches none)."""
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return problem_response(
        request,
        status=404,
        code="not_found",
        title=gettext("Not found."),
        detail=gettext("No such resource."),
    )


def too_many(exc: TooManyFieldsSent | TooManyFilesSent) -> str:
    """Why Django refused a request's fields or files: its own message is English only."""
    if isinstance(exc, TooManyFilesSent):
        return gettext("Too many files: at most %(max)s are taken.") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    return gettext("Too many parameters or form fields: at most %(max)s are taken.") % {
        "max": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    }


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: Django refused the request (a SuspiciousOperation) outside DRF."""
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return problem_response(
            request,
            status=413,
            code=PayloadTooLarge.default_code,
            title=str(PayloadTooLarge.default_detail),
            detail=gettext("The form data is larger than the API takes."),
        )
    return problem_response(
        request,
        status=400,
        code="bad_request",
        title=gettext("Bad request."),
        detail=too_many(exception)
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent)
        else gettext("The request could not be read."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an error outside DRF's exception handling."""
    if not is_api(request):
        return defaults.server_error(request)
    return problem_response(
        request,
        status=500,
        code="error",
        title=gettext("A server error occurred."),
        detail=gettext("A server error occurred."),
    )


TRY_AGAIN = gettext_noop(
    "Another change to the same records was being written at the same time, and the "
    "database stopped this one; nothing was written. Send the same request again."
)


class TryAgain(exceptions.APIException):
    """The database stopped the request's transaction for a concurrent one (a deadlock or a
    serialization failure, core.locking): nothing was written, and the same request may be
    sent again."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("Another change to the same records got in the way.")
    default_code = "try_again"
    wait = 1  # seconds, sent as Retry-After (drf-standardized-errors)


def log_stopped_write(request: Any, exc: Exception) -> None:
    logger.warning(
        "%s %s: stopped by the database for another writer (503)",
        getattr(request, "method", ""),
        getattr(request, "path", ""),
        exc_info=exc,
    )


class TryAgainMiddleware:
    """A write the database stopped for another outside DRF's views (the admin; the API's own
    views answer it in ProblemExceptionHandler): 503 with `Retry-After`, not a server error.
    The request's transaction (ATOMIC_REQUESTS) is already undone when this runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not (isinstance(exception, OperationalError) and lost_to_another_writer(exception)):
            return None
        log_stopped_write(request, exception)
        detail = gettext(TRY_AGAIN)
        if is_api(request):
            response = problem_response(
                request,
                status=TryAgain.status_code,
                code=TryAgain.default_code,
                title=str(TryAgain.default_detail),
                detail=detail,
            )
        else:
            response = HttpResponse(detail, status=TryAgain.status_code, content_type="text/plain")
        response["Retry-After"] = str(TryAgain.wait)
        return response


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
        if isinstance(exc, RequestDataTooBig):  # form fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE
            return PayloadTooLarge(gettext("The form data is larger than the API takes."))
        if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
            return exceptions.ParseError(too_many(exc))
        if isinstance(exc, OperationalError) and lost_to_another_writer(exc):
            return TryAgain(gettext(TRY_AGAIN))
        if isinstance(exc, IntegrityError):
            # A race lost against a unique or check constraint: a conflict, not a crash.
            error = Conflict(
                gettext("The change conflicts with existing data; nothing was written."),
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

    def report_exception(self, exc: exceptions.APIException, response: Response) -> None:
        """A write stopped for another is expected under concurrent writes, and answered:
        logged as a warning, not reported as a server error."""
        if isinstance(exc, TryAgain):
            log_stopped_write(self.context.get("request"), self.exc)
            return
        super().report_exception(exc, response)


class ProblemFormatter(ExceptionFormatter):
    def run(self) -> dict:
        exc = self.exc
        domain = getattr(exc, "domain_error", None)
        errors = flatten_errors(exc.detail) if not isinstance(exc.detail, str) else []
        if isinstance(exc, exceptions.ValidationError):
            code, title = "validation_error", gettext("Invalid input")
            detail = "; ".join(
                f"{e.attr}: {e.detail}" if e.attr else e.detail for e in errors
            ) or gettext("The request is not valid.")
        elif domain is not None:
            code, title, detail = domain.code, domain.title, domain.detail
        else:
            code = errors[0].code if errors else getattr(exc.detail, "code", exc.default_code)
            title = str(exc.default_detail)
            detail = errors[0].detail if errors else str(exc.detail)
        request = self.context.get("request")
        body = problem(
            status=exc.status_code,
            code=code,
            title=title,
            detail=detail,
            instance=request.get_full_path() if request is not None else None,
            errors=[
                {"field": e.attr or "non_field_errors", "code": e.code, "reason": e.detail}
                for e in errors
                if e.attr
            ],
        )
        if domain is not None:
            body.update((k, v) for k, v in domain.extra.items() if k not in body)
        return body
