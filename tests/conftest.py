import pytest
from django.core.cache import cache

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
