import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.client import RequestFactory
from django.utils import translation

from accounts.roles import Role
from geo.models import Commune

from . import factories


@pytest.fixture(scope="session")
def _cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _throttling_for_tests(settings, _cache_dir):
    """Throttling runs in every test at rates no test reaches, on a cache of this test process
    alone (its own directory, emptied before each test); throttling tests lower the rates."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(_cache_dir),
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "100000/minute", "anon": "100000/minute"},
    }
    cache.clear()


@pytest.fixture(autouse=True)
def _no_dci_signing_key(settings):
    """No test depends on a key a local `./dev serve` left in var/: the DCI tests make their
    own (tests/dci/conftest.py)."""
    settings.DCI_SIGNING_KEY_FILE = ""


@pytest.fixture(autouse=True)
def _areas_resolved_afresh():
    """Each test starts with no resolved area kept (accounts.roles keeps them between requests,
    by grant), so that its query counts do not depend on the tests before it."""
    from accounts import roles

    roles._resolved.clear()


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch):
    """The suite speaks English; the product speaks Vietnamese by default (LANGUAGE_CODE "vi").

    Tests assert the English source texts of labels and messages, so in every test:
    - code called directly (services, rules, serializers) runs with English active;
    - every test client (Django's, DRF's, the factories' token clients, and the clients that
      call the WSGI handler directly: the generated client, Schemathesis) sends
      `Accept-Language: en` unless the client's defaults or the request name another
      language: a request is then in English as an English-speaking integrator's would be,
      and LocaleMiddleware still chooses, as in production.
    tests/i18n/ overrides this fixture (same name, its own conftest) to see the real default:
    Vietnamese when a request names no language.
    """
    base_environ = RequestFactory._base_environ

    def english_unless_named(self, **request):
        environ = base_environ(self, **request)
        environ.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        return environ

    monkeypatch.setattr(RequestFactory, "_base_environ", english_unless_named)
    handle = WSGIHandler.__call__

    def english_unless_asked(self, environ, start_response):
        environ.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        return handle(self, environ, start_response)

    monkeypatch.setattr(WSGIHandler, "__call__", english_unless_asked)
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _feed_numbered_at_each_statement(request):
    """A test in a transaction that is never committed (pytest-django's `db`) would never see
    its change-feed events numbered: on PostgreSQL the feed numbers a writer's events at its
    commit (core.feed, a deferred trigger). In such a test the trigger fires at the end of each
    statement instead, as if each write committed. Tests with `transactional_db` commit, and
    see the numbering at the commit as in production."""
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    if transactional or ("db" not in request.fixturenames and marker is None):
        return
    request.getfixturevalue("db")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS core_changeevent_numbered IMMEDIATE")


@pytest.fixture
def ward(db) -> Commune:
    """An urban ward of Quảng Ninh."""
    return Commune.objects.filter(province_id="22", kind="phuong").order_by("code").first()


@pytest.fixture
def rural(db) -> Commune:
    """A rural commune of Quảng Ninh."""
    return Commune.objects.filter(province_id="22", kind="xa").order_by("code").first()


@pytest.fixture
def province_officer(db):
    return factories.user(Role.PROVINCE_OFFICER, provinces=["22"])


@pytest.fixture
def ward_officer(ward):
    return factories.user(Role.COMMUNE_OFFICER, communes=[ward])


@pytest.fixture
def api(province_officer):
    """API client of a Quảng Ninh province officer."""
    return factories.client_for(province_officer)


@pytest.fixture
def ward_api(ward_officer):
    return factories.client_for(ward_officer)
