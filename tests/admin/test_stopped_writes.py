"""A write the database stops for another (a deadlock) through the admin: a 503 that says
nothing was saved, not a server error; saved once when sent again."""

import pytest
from django.db import connection

from geo.choices import VillageKind
from geo.models import Village
from tests import factories as f
from tests.faults import deadlock_on_first_insert

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deadlock error"),
]


def test_an_admin_save_the_database_stops_is_503_and_may_be_sent_again(client, ward):
    client.force_login(f.user(None, superuser=True))
    stop_deadlocks = deadlock_on_first_insert("geo_village")
    form = {"commune": ward.code, "name": "Thôn Mới", "kind": VillageKind.THON}
    r = client.post("/admin/geo/village/add/", form)
    assert r.status_code == 503 and r["Retry-After"] == "1"
    assert "nothing was written" in r.content.decode()
    assert not Village.objects.filter(name="Thôn Mới").exists()
    stop_deadlocks()
    assert client.post("/admin/geo/village/add/", form).status_code == 302
    assert Village.objects.filter(name="Thôn Mới", commune=ward).count() == 1
