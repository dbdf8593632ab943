"""The API root (`GET /api/v1/`): every list endpoint under the prefix, generated from the
URL conf so that a new resource is listed without anyone remembering to add it."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.response import Response
from rest_framework.views import APIView

PREFIX = "api/v1/"


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _reads(pattern: URLPattern) -> bool:
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions is not None:
        return "get" in actions
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return view is not None and hasattr(view, "get") and "get" in view.http_method_names


def list_endpoints(prefix: str = PREFIX) -> dict[str, str]:
    """Path (relative to `prefix`, no trailing slash) → URL path of every GET endpoint under
    `prefix` whose URL takes no parameter: the routers' `<basename>-list` routes, their
    collection actions, and the plain list and report views."""
    found: dict[str, str] = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        path = route.replace("^", "").replace("$", "").replace("\\", "")
        if (
            not path.startswith(prefix)
            or path == prefix
            or pattern.name in (None, "api-root")
            or re.search(r"[<(]", route)
            or not _reads(pattern)
        ):
            continue
        found.setdefault(path.removeprefix(prefix).rstrip("/"), "/" + path)
    return dict(sorted(found.items()))


class ApiRootView(APIView):
    """Every list endpoint of the API, by path."""

    schema = None  # not an operation of the document
    pages: dict[str, str] = {}  # name → URL name of a page outside the API (config/urls.py)

    def get(self, request, *args, **kwargs):
        links = {name: request.build_absolute_uri(path) for name, path in list_endpoints().items()}
        for name, url_name in self.pages.items():
            links[name] = request.build_absolute_uri(reverse(url_name))
        return Response(links)
