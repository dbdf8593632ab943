import pytest

from config.access import Role
from households.models import Commune

from . import factories


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
