"""`core.models.LoadsFast`: rows read from the database become the same instances as Django's
own `Model.from_db` builds, for every model of the project, on PostgreSQL and SQLite; and a
receiver of `pre_init`/`post_init`, or a model's `__init__` of its own, still runs."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from simple_history.models import HistoricalChanges

from core.audit import AuditedHistory
from core.models import LoadsFast
from households.models import Household, Member
from tests import factories as f

PROJECT = Path(settings.BASE_DIR).resolve()


def _fields(instance: Model) -> dict:
    return {k: v for k, v in instance.__dict__.items() if k != "_state"}


def test_every_model_of_the_project_loads_fast():
    # the models of the packages at the project's root (not those of Django or libraries)
    project = [m for m in apps.get_models() if (PROJECT / m.__module__.split(".")[0]).is_dir()]
    # simple-history builds the histories of many-to-many fields on its own base alone.
    own = [
        m for m in project if not issubclass(m, HistoricalChanges) or issubclass(m, AuditedHistory)
    ]
    assert len(own) > 40
    assert [m.__name__ for m in own if not issubclass(m, LoadsFast)] == []


@pytest.mark.django_db
def test_a_row_is_the_instance_djangos_own_loading_builds(ward):
    household = f.household(ward, members=[f.member("Lò Văn Sáng")])
    read = Household.objects.select_related("commune").defer("address").get(pk=household.pk)
    columns = [fld.attname for fld in Household._meta.concrete_fields if fld.name != "address"]
    values = Household.objects.filter(pk=household.pk).values_list(*columns).get()
    django_built = Model.from_db.__func__(Household, "default", columns, values)

    assert type(read) is Household
    assert _fields(read) == _fields(django_built)
    assert read.get_deferred_fields() == django_built.get_deferred_fields() == {"address"}
    assert (read._state.adding, read._state.db) == (False, "default")
    assert read.commune == ward and read.commune.name == ward.name  # select_related, loaded fast
    with CaptureQueriesContext(connection) as queries:
        assert read.address == household.address  # the deferred column, read when asked for
    assert len(queries) == 1


@pytest.mark.django_db
def test_an_instance_read_fast_saves_as_an_update_and_refreshes(ward):
    household = f.household(ward, members=[f.member("Vi Thị Hoa", sex="female")])
    member = Member.objects.get(household=household)
    member.full_name = "Vi Thị Hoà"
    member.save()  # an UPDATE, as the row was read (an INSERT of its id would fail)
    assert list(Member.objects.filter(household=household).values_list("full_name")) == [
        ("Vi Thị Hoà",)
    ]
    Member.objects.filter(pk=member.pk).update(full_name="Vi Thị Mai")
    member.refresh_from_db()
    assert member.full_name == "Vi Thị Mai"


@pytest.mark.django_db
def test_a_receiver_of_post_init_is_still_sent_each_row(ward):
    household = f.household(
        ward,
        members=[
            f.member("Hà Văn An"),
            f.member("Hà Thị Lan", relationship="spouse", sex="female"),
        ],
    )
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.full_name)

    post_init.connect(receiver, sender=Member)
    try:
        names = sorted(m.full_name for m in Member.objects.filter(household=household))
    finally:
        post_init.disconnect(receiver, sender=Member)
    assert sorted(seen) == names == ["Hà Thị Lan", "Hà Văn An"]
    seen.clear()
    list(Member.objects.filter(household=household))
    assert seen == []


@pytest.mark.django_db
def test_a_model_with_an_init_of_its_own_has_it_run(ward, monkeypatch):
    household = f.household(ward, members=[f.member("Lò Thị Mai", sex="female")])
    django_init = Member.__init__

    def init(self, *args, **kwargs):
        django_init(self, *args, **kwargs)
        self.as_read = self.full_name  # what a model that tracks its changes would keep

    monkeypatch.setattr(Member, "__init__", init)
    (member,) = Member.objects.filter(household=household)
    assert member.as_read == "Lò Thị Mai"
