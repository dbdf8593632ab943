"""Transport and client identity shared by login lockout and API throttling."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


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
