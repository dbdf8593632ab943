"""Transport and client identity shared by login lockout and API throttling."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with PROXY_COUNT trusted proxies in front, the
    address the outermost of them saw (X-Forwarded-For, counted from the right: whatever a
    client writes at its left end is ignored)."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.PROXY_COUNT and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(settings.PROXY_COUNT, len(addresses))]
    return remote


class NoStoreMiddleware:
    """Responses that may carry personal data are never stored by browsers or proxies:
    `Cache-Control: no-store` on every response to an authenticated request (API token or
    session) and on everything under the admin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF sets the token's user here too
        if (user is not None and user.is_authenticated) or request.path.startswith(
            reverse("admin:index")
        ):
            patch_cache_control(response, no_store=True)
        return response
