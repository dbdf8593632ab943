import traceback

import pytest
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections


@pytest.fixture
def wsgi_database():
    """Requests through the WSGI handler keep the test's connection and transaction (as
    Django's test client does), and a server error keeps its traceback for the report."""
    errors: list[str] = []

    def keep(sender, request, **kwargs):
        errors.append(traceback.format_exc())

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(keep)
    try:
        yield errors
    finally:
        got_request_exception.disconnect(keep)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
