"""What is checked of an API request before its view reads it (a middleware).

- The body's size, from its Content-Length, against the limit of the view and media type:
  413 before a byte of it is read. Views may raise the limit for a media type
  (`body_limits = {"multipart/form-data": "REGISTRY_SYNC_MAX_FILE_BYTES"}`, setting names);
  every other body gets `API_MAX_BODY_BYTES`. (Without a Content-Length a WSGI server hands
  Django no body at all.)
- Query parameters and header values: a NUL character or text that was not valid UTF-8 is a
  400 naming the parameter (or header).
- An id in the path with such text names no resource: 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from core.text import NUL_CHARACTER, printable, text_problem

from .errors import PayloadTooLarge, is_api, not_found, problem_response

DEFAULT_LIMIT = "API_MAX_BODY_BYTES"


def body_limit(view_func: Callable, content_type: str) -> int:
    media_type = content_type.split(";")[0].strip().lower()
    limits = getattr(getattr(view_func, "cls", None), "body_limits", {})
    return getattr(settings, limits.get(media_type, DEFAULT_LIMIT))


def _invalid(request: HttpRequest, errors: list[dict[str, str]]) -> HttpResponse:
    return problem_response(
        request,
        status=400,
        code="validation_error",
        title="Invalid input",
        detail="; ".join(f"{e['field']}: {e['reason']}" for e in errors),
        errors=errors,
    )


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not is_api(request):
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return _invalid(
                request,
                [
                    {
                        "field": "Content-Length",
                        "code": "invalid",
                        "reason": gettext("Not a byte count."),
                    }
                ],
            )
        limit = body_limit(view_func, request.content_type or "")
        if length > limit:
            return problem_response(
                request,
                status=413,
                code=PayloadTooLarge.default_code,
                title=str(PayloadTooLarge.default_detail),
                detail=gettext(
                    "The body is %(length)s bytes; this endpoint takes at most %(limit)s bytes "
                    "of %(type)s."
                )
                % {
                    "length": f"{length:,}",
                    "limit": f"{limit:,}",
                    "type": request.content_type or gettext("this type"),
                },
            )
        errors = []
        for name, values in request.GET.lists():
            for value in (name, *values):
                if problem := text_problem(value):
                    code, reason = problem
                    errors.append({"field": printable(name), "code": code, "reason": reason})
                    break
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                header = key[5:].replace("_", "-").title()
                reason = gettext("Contains a NUL character.")
                errors.append({"field": header, "code": NUL_CHARACTER, "reason": reason})
        if errors:
            return _invalid(request, errors)
        if any(isinstance(v, str) and text_problem(v) for v in view_kwargs.values()):
            return not_found(request)
        return None
