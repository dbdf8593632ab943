"""API throttling: a 429 problem-details answer with Retry-After once a client exceeds its rate.

Rates come from settings (`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, set by the
API_THROTTLE_RATE and API_ANON_THROTTLE_RATE environment variables) and are read on every
request; an empty rate turns that throttle off. Counts live in the default cache, which every
worker process shares (settings: a directory of files, or Redis with CACHE_URL).
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.security import client_ip


class _RateFromSettings(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or None

    def get_ident(self, request) -> str:
        return client_ip(request)


class ClientRateThrottle(_RateFromSettings):
    """Authenticated requests, per client: per API token (a token is issued to one device or
    system), per user for a browser session."""

    scope = "client"

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        credential = getattr(request.auth, "pk", None)
        ident = f"token-{credential}" if credential is not None else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonRateThrottle(_RateFromSettings):
    """Unauthenticated requests (the schema and docs), per client address."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
