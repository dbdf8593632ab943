"""Field apps: idempotent uploads, conflicts kept for an officer, offline capture time,
download with a change-feed cursor."""

import uuid

import pytest
from django.db import IntegrityError

from accounts.roles import Role
from core.access import SYSTEM
from core.models import ChangeEvent
from geo.models import Commune
from households import services as registry
from households.models import Household
from integrations.field import services as field
from integrations.field.api import UploadSerializer
from poverty.models import FieldUpload, Survey
from tests import factories as f

from .conftest import survey_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def enumerator(ward):
    return f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))


def item(household, kind="survey", body=None, version=1, **extra):
    return {
        "client_id": str(extra.pop("client_id", uuid.uuid4())),
        "kind": kind,
        "based_on_version": version,
        "captured_at": "2026-10-01T08:30:00+07:00",
        "body": body if body is not None else survey_body(household),
        **extra,
    }


def test_a_conflict_says_why_in_the_uploaders_language(enumerator, api, family):
    api.patch(f"/api/v1/households/{family.id}/", {"phone": "0900000000"}, HTTP_IF_MATCH='"1"')
    body = {"household": str(family.id), "address": "Số 99"}
    r = enumerator.post(
        "/api/v1/field/uploads/",
        item(family, kind="household_edit", body=body),
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert r.status_code == 202 and r.json()["status"] == "conflict"
    assert r.json()["result"]["detail"] == (
        "Hộ đang ở phiên bản 2; dữ liệu gửi lên này dựa trên phiên bản 1."
    )
    r = enumerator.post(
        "/api/v1/field/uploads/",
        item(family, kind="household_edit", body=body),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.json()["result"]["detail"] == (
        "The household is at version 2; this upload was based on 1."
    )


def test_survey_upload_is_idempotent(enumerator, family):
    upload = item(family)
    r = enumerator.post("/api/v1/field/uploads/", upload)
    assert r.status_code == 201, r.json()
    first = r.json()
    assert first["status"] == "applied" and first["result"]["survey"]
    survey = Survey.objects.get(pk=first["result"]["survey"])
    assert survey.captured_at.isoformat() == "2026-10-01T01:30:00+00:00"  # stored in UTC
    assert survey.created_at > survey.captured_at  # received later than captured
    r = enumerator.post("/api/v1/field/uploads/", upload)  # the phone retries
    assert r.status_code == 200 and r.json() == first
    assert Survey.objects.count() == 1
    changed = {**upload, "body": survey_body(family, income=1)}
    r = enumerator.post("/api/v1/field/uploads/", changed)
    assert r.status_code == 409 and r.json()["code"] == "client_id_reused"
    assert Survey.objects.count() == 1


def test_upload_based_on_an_old_version_is_kept_as_a_conflict(enumerator, api, family):
    api.patch(f"/api/v1/households/{family.id}/", {"phone": "0900000000"}, HTTP_IF_MATCH='"1"')
    edit = item(
        family,
        kind="household_edit",
        body={"household": str(family.id), "address": "Số 99"},
        version=1,
    )
    r = enumerator.post("/api/v1/field/uploads/", edit)
    assert r.status_code == 202 and r.json()["status"] == "conflict"
    family.refresh_from_db()
    assert family.address == "Thôn 1" and family.phone == "0900000000"  # nothing overwritten
    conflicts = api.get("/api/v1/field/uploads/", {"status": "conflict"}).json()["results"]
    assert [c["client_id"] for c in conflicts] == [edit["client_id"]]
    r = api.post(
        f"/api/v1/field/uploads/{edit['client_id']}/resolve/",
        {"action": "apply", "note": "Checked with the family"},
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved_applied"
    family.refresh_from_db()
    assert family.address == "Số 99" and family.phone == "0900000000"


def test_batch_of_a_days_work(enumerator, family, ward):
    other = f.household(ward)
    head = other.members.get()
    items = [
        item(family),
        item(
            other,
            kind="member_edit",
            version=1,
            body={"member": str(head.id), "version": 1, "full_name": "Tên Mới"},
        ),
        item(family, body=survey_body(family, income=-5)),  # invalid
    ]
    r = enumerator.post("/api/v1/field/uploads/batch/", {"items": items}, format="json")
    assert r.status_code == 200, r.json()
    assert [row["status"] for row in r.json()] == ["applied", "applied", "rejected"]
    assert r.json()[2]["result"]["fields"]["income_wages"]
    again = enumerator.post("/api/v1/field/uploads/batch/", {"items": items}, format="json")
    assert [row["replayed"] for row in again.json()] == [True, True, True]
    assert Survey.objects.count() == 1 and FieldUpload.objects.count() == 3
    head.refresh_from_db()
    assert head.full_name == "Tên Mới"


def test_uploads_outside_the_area_are_refused(enumerator, rural):
    theirs = f.household(rural)
    r = enumerator.post("/api/v1/field/uploads/", item(theirs))
    # as if the household did not exist: the answer names no one and tells nothing
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {"field": "body.household", "code": "invalid", "reason": "Unknown or missing."}
    ]
    assert not FieldUpload.objects.exists()


def test_download_then_follow_changes(enumerator, api, family, ward, rural):
    f.household(rural)
    r = enumerator.get("/api/v1/field/households/")
    assert r.status_code == 200
    page = r.json()
    assert [h["id"] for h in page["results"]] == [str(family.id)]
    assert page["results"][0]["latest_survey"] is None
    cursor = page["changes_after"]
    api.patch(f"/api/v1/households/{family.id}/", {"address": "Số 1"}, HTTP_IF_MATCH='"1"')
    changes = enumerator.get(
        "/api/v1/changes/", {"after": cursor, "types": ["household", "member", "survey"]}
    ).json()
    assert [(c["entity"], c["entity_id"]) for c in changes["results"]] == [
        ("household", str(family.id))
    ]


def test_the_download_position_is_the_readers_own_latest_event(enumerator, family, rural):
    """Not the national head, which would tell how many changes were made everywhere (and
    which the reader's feed refuses while nothing of theirs follows it): the position of
    their own latest event."""
    own = enumerator.get("/api/v1/changes/").json()["next_after"]
    for _ in range(3):
        f.household(rural)  # changes elsewhere, after the reader's last one
    assert ChangeEvent.objects.order_by("-seq").first().seq > own
    position = enumerator.get("/api/v1/field/households/").json()["changes_after"]
    assert position == own
    follow = enumerator.get("/api/v1/changes/", {"after": position})
    assert follow.status_code == 200 and follow.json()["results"] == []


def test_a_village_readers_download_position_is_their_villages_latest_event(ward, rural):
    """Found through the village's commune: a later event of another village of the same
    commune, or of another commune, is not theirs."""
    from core.access import SYSTEM
    from geo import services as geo

    mine, other = (
        geo.village_save(actor=SYSTEM, village=None, values={"commune": ward, "name": name})
        for name in ("Khu Một", "Khu Hai")
    )
    reader = f.client_for(f.user(Role.FIELD_ENUMERATOR, villages=[mine]))
    assert reader.get("/api/v1/field/households/").json()["changes_after"] == 0  # none yet
    f.household(ward, village=mine)
    own = reader.get("/api/v1/changes/").json()["next_after"]
    f.household(ward, village=other)
    f.household(rural)
    assert ChangeEvent.objects.order_by("-seq").first().seq > own > 0
    assert reader.get("/api/v1/field/households/").json()["changes_after"] == own


def test_a_household_edit_cannot_move_the_household_out_of_the_area(enumerator, family, rural):
    """The upload path checks the new commune as PATCH /households/ does."""
    edit = item(
        family, kind="household_edit", body={"household": str(family.id), "commune": rural.code}
    )
    r = enumerator.post("/api/v1/field/uploads/", edit)
    assert r.status_code == 400 and r.json()["status"] == "rejected"
    assert r.json()["result"]["code"] == "outside_area"
    family.refresh_from_db()
    assert family.commune_id != rural.code and family.version == 1


def test_only_another_officer_resolves_a_conflict(ward, family, api):
    enumerator_user = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    officer_user = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    api.patch(f"/api/v1/households/{family.id}/", {"phone": "0900000000"}, HTTP_IF_MATCH='"1"')

    def conflict(uploader) -> str:
        edit = item(
            family, kind="household_edit", body={"household": str(family.id), "address": "Số 7"}
        )
        r = f.client_for(uploader).post("/api/v1/field/uploads/", edit)
        assert r.json()["status"] == "conflict"
        return edit["client_id"]

    # an enumerator's role does not resolve conflicts, their own or anyone's
    mine = conflict(enumerator_user)
    r = f.client_for(enumerator_user).post(
        f"/api/v1/field/uploads/{mine}/resolve/", {"action": "apply"}
    )
    assert r.status_code == 403
    # an officer does not resolve the conflict they uploaded themselves
    theirs = conflict(officer_user)
    r = f.client_for(officer_user).post(
        f"/api/v1/field/uploads/{theirs}/resolve/", {"action": "apply"}
    )
    assert r.status_code == 403 and r.json()["code"] == "own_upload"
    family.refresh_from_db()
    assert family.address == "Thôn 1"
    # another officer does
    r = api.post(f"/api/v1/field/uploads/{theirs}/resolve/", {"action": "apply"})
    assert r.status_code == 200 and r.json()["status"] == "resolved_applied"
    family.refresh_from_db()
    assert family.address == "Số 7"


def test_a_client_id_of_another_user_is_not_replayed(enumerator, family, ward):
    upload = item(family)
    assert enumerator.post("/api/v1/field/uploads/", upload).status_code == 201
    other = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    r = other.post("/api/v1/field/uploads/", upload)
    assert r.status_code == 409 and r.json()["code"] == "client_id_reused"
    assert "result" not in r.json()


def test_an_edit_breaking_a_unique_key_is_rejected_and_kept(enumerator, family):
    """A registry ID another household holds, in another province the uploader cannot see:
    the database's unique key refuses it. The upload is rejected and kept like any other
    rejection (not a 500, not a retry loop), nothing of it is written, the answer names
    neither the ID nor its holder, and a retry gets the same answer."""
    hanoi = Commune.objects.filter(province_id="01").order_by("code").first()
    holder = f.household(hanoi, external_id="HN-0001")
    edit = item(
        family,
        kind="household_edit",
        body={"household": str(family.id), "external_id": "HN-0001", "address": "Số 5"},
    )
    events = ChangeEvent.objects.count()
    r = enumerator.post("/api/v1/field/uploads/", edit)
    assert r.status_code == 400, r.json()
    first = r.json()
    assert first["status"] == "rejected" and first["household"] == str(family.id)
    assert first["result"] == {
        "code": "duplicate_external_id",
        "detail": "This registry ID is already used.",
        "fields": {"external_id": ["This registry ID is already used."]},
    }
    assert "HN-0001" not in r.content.decode() and holder.code not in r.content.decode()
    family.refresh_from_db()
    assert (family.external_id, family.address, family.version) == (None, "Thôn 1", 1)
    assert ChangeEvent.objects.count() == events
    again = enumerator.post("/api/v1/field/uploads/", edit)  # the phone retries
    assert again.status_code == 400 and again.json() == first
    assert FieldUpload.objects.count() == 1 and Household.objects.count() == 2
    assert ChangeEvent.objects.count() == events
    family.refresh_from_db()
    assert family.version == 1


def test_the_same_item_arriving_twice_at_once_is_answered_as_a_replay(ward, family, monkeypatch):
    """The other request stores the upload between this one's look-up and its insert: this
    one's insert breaks the primary key, and it answers with the stored upload."""
    user = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    edit = item(
        family, kind="household_edit", body={"household": str(family.id), "address": "Số 8"}
    )
    serializer = UploadSerializer(data=edit)
    serializer.is_valid(raise_exception=True)
    look_up = field._household_of

    def meanwhile(kind, body, access):
        monkeypatch.setattr(field, "_household_of", look_up)
        other, new = field.field_upload_receive(serializer.validated_data, user=user)
        assert new and other.status == "applied"  # the other request, done first
        return look_up(kind, body, access)

    monkeypatch.setattr(field, "_household_of", meanwhile)
    r = f.client_for(user).post("/api/v1/field/uploads/", edit)
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "applied" and r.json()["client_id"] == edit["client_id"]
    assert FieldUpload.objects.count() == 1
    family.refresh_from_db()
    assert family.address == "Số 8" and family.version == 2


def test_an_integrity_error_storing_the_upload_is_not_retried(enumerator, family, monkeypatch):
    """Not a duplicate arrival (no upload under that id): a conflict, once, not a retry loop."""
    calls = []

    def broken_save(self, *args, **kwargs):
        calls.append(self.pk)
        raise IntegrityError("a constraint on the upload itself")

    monkeypatch.setattr(FieldUpload, "save", broken_save)
    r = enumerator.post("/api/v1/field/uploads/", item(family))
    assert r.status_code == 409 and r.json()["code"] == "integrity_conflict"
    assert len(calls) == 1
    assert not FieldUpload.objects.exists() and not Survey.objects.exists()


@pytest.mark.parametrize("status", ["moved_out", "dissolved"])
def test_edits_of_a_closed_household_are_rejected_and_kept(enumerator, family, status):
    """A household the device saw closed (its version is the closed one): an edit of it or of
    its member is refused by the registry service as in the API, stored as rejected with the
    reason, answered the same on resend, and nothing is written."""
    family = f.close(family, status)
    member = family.members.get(full_name="Lò Thị Mơ")
    edits = [
        item(
            family,
            kind="household_edit",
            version=family.version,
            body={"household": str(family.id), "address": "Số 6"},
        ),
        item(
            family,
            kind="member_edit",
            version=family.version,
            body={"member": str(member.id), "version": member.version, "full_name": "Lò Thị Mới"},
        ),
    ]
    before = f.traces(family)
    for edit in edits:
        r = enumerator.post("/api/v1/field/uploads/", edit)
        assert r.status_code == 400 and r.json()["status"] == "rejected", r.json()
        assert r.json()["result"] == {
            "code": "not_active",
            "detail": f"Household {family.code} is {status}.",
            "fields": {},
        }
        again = enumerator.post("/api/v1/field/uploads/", edit)  # the phone retries
        assert again.status_code == 400 and again.json() == r.json()
    assert FieldUpload.objects.filter(status="rejected").count() == 2
    assert f.traces(family) == before


def test_a_conflict_on_a_household_closed_since_is_not_applied(enumerator, api, family):
    """The edit was made before the household was closed: kept as a conflict, and applying it
    is refused as any edit of a closed household; the officer discards it."""
    edit = item(
        family, kind="household_edit", body={"household": str(family.id), "address": "Số 99"}
    )
    family = f.close(family, "moved_out")
    r = enumerator.post("/api/v1/field/uploads/", edit)
    assert r.status_code == 202 and r.json()["status"] == "conflict"
    before = f.traces(family)
    resolve = f"/api/v1/field/uploads/{edit['client_id']}/resolve/"
    r = api.post(resolve, {"action": "apply"})
    assert r.status_code == 409 and r.json()["code"] == "not_active"
    assert FieldUpload.objects.get().status == "conflict"
    assert f.traces(family) == before
    r = api.post(resolve, {"action": "discard", "note": "The household moved away"})
    assert r.status_code == 200 and r.json()["status"] == "resolved_discarded"


def test_resolving_an_edit_to_a_registry_id_taken_elsewhere(enumerator, api, family):
    """Applying a conflict whose edit sets a registry ID another household holds (outside the
    resolver's area) answers as the upload does: "This registry ID is already used.", on the
    external_id field, naming neither the ID nor its holder; nothing is written."""
    hanoi = Commune.objects.filter(province_id="01").order_by("code").first()
    holder = f.household(hanoi, external_id="HN-0002")
    api.patch(f"/api/v1/households/{family.id}/", {"phone": "0900000000"}, HTTP_IF_MATCH='"1"')
    edit = item(
        family,
        kind="household_edit",
        body={"household": str(family.id), "external_id": "HN-0002", "address": "Số 5"},
    )
    r = enumerator.post("/api/v1/field/uploads/", edit)
    assert r.status_code == 202 and r.json()["status"] == "conflict"
    before = f.traces(family)
    r = api.post(f"/api/v1/field/uploads/{edit['client_id']}/resolve/", {"action": "apply"})
    assert r.status_code == 409, r.json()
    assert (r.json()["code"], r.json()["detail"]) == (
        "duplicate_external_id",
        "This registry ID is already used.",
    )
    assert r.json()["errors"] == [
        {
            "field": "external_id",
            "code": "duplicate_external_id",
            "reason": "This registry ID is already used.",
        }
    ]
    assert "HN-0002" not in r.content.decode() and holder.code not in r.content.decode()
    assert FieldUpload.objects.get().status == "conflict"
    assert f.traces(family) == before
    assert (family.external_id, family.address) == (None, "Thôn 1")


# ---------------------------------------------------------------------------- overtaken


def test_an_upload_overtaken_before_it_is_applied_is_kept_as_a_conflict(
    enumerator, api, family, monkeypatch
):
    """An edit that commits after the upload looked the household up, and before the upload
    takes the household's lock: the upload is compared with the household as it is under the
    lock (integrations.field.services.current_version), so it is kept as a conflict (202)
    for an officer, not refused by the registry as stale and stored `rejected` — "never
    applied over newer data, never dropped" (README, Field apps). The same with the edit in
    progress on another connection: tests/integrations/test_field_upload_races.py."""
    look_up = field._household_of

    def then_edited(kind, body, access):
        household = look_up(kind, body, access)
        registry.household_update(  # an officer's edit commits meanwhile
            actor=SYSTEM,
            household=household,
            expected_version=household.version,
            data=registry.HouseholdInput(values={"phone": "0911111111"}),
        )
        return household

    monkeypatch.setattr(field, "_household_of", then_edited)
    edit = item(
        family, kind="household_edit", body={"household": str(family.id), "address": "Số 9"}
    )
    r = enumerator.post("/api/v1/field/uploads/", edit)
    assert (r.status_code, r.json()["status"]) == (202, "conflict"), r.json()
    assert r.json()["result"]["current_version"] == 2
    family.refresh_from_db()
    assert (family.address, family.phone, family.version) == ("Thôn 1", "0911111111", 2)
    monkeypatch.undo()
    r = api.post(f"/api/v1/field/uploads/{edit['client_id']}/resolve/", {"action": "apply"})
    assert r.status_code == 200 and r.json()["status"] == "resolved_applied"
    family.refresh_from_db()
    assert (family.address, family.phone, family.version) == ("Số 9", "0911111111", 3)


def test_a_resolution_overtaken_before_it_is_applied_applies_to_the_current_household(
    enumerator, api, family, monkeypatch
):
    """Applying a conflict applies it to the household as it is when the resolution locks it:
    an edit that commits after the resolution read the upload (and its household) does not
    make the officer's apply a 409 `stale_version` about a version they never named."""
    api.patch(f"/api/v1/households/{family.id}/", {"phone": "0900000000"}, HTTP_IF_MATCH='"1"')
    edit = item(
        family, kind="household_edit", body={"household": str(family.id), "address": "Số 99"}
    )
    assert enumerator.post("/api/v1/field/uploads/", edit).json()["status"] == "conflict"
    check = field.require_household

    def then_edited(access, household):
        check(access, household)
        registry.household_update(  # another edit commits meanwhile
            actor=SYSTEM,
            household=household,
            expected_version=household.version,
            data=registry.HouseholdInput(values={"phone": "0922222222"}),
        )

    monkeypatch.setattr(field, "require_household", then_edited)
    r = api.post(f"/api/v1/field/uploads/{edit['client_id']}/resolve/", {"action": "apply"})
    assert r.status_code == 200 and r.json()["status"] == "resolved_applied", r.json()
    family.refresh_from_db()
    assert (family.address, family.phone, family.version) == ("Số 99", "0922222222", 4)


# ---------------------------------------------------------------------------- channel


def latest_change(row, entity="household") -> tuple[str, str, str]:
    """The row's latest change, as its history and the change feed tell it: (the history's
    channel and user, the feed event's channel)."""
    record = row.history.first()
    event = ChangeEvent.objects.get(entity=entity, entity_id=row.pk, at=record.history_date)
    return record.history_channel, record.history_user.username, event.channel


def test_the_channel_is_the_way_the_change_came_in_not_the_senders_role(ward, family, api):
    """History records each change's channel, "admin, API, field app, registry sync, system"
    (docs/security.md §4): the endpoint it came in by decides it, whoever sends it. A commune
    officer's upload is a field-app change; an enumerator's PATCH of the API is an API
    change; an officer's resolution of a conflict applies the field app's upload, and is
    recorded as a field-app change made by the officer."""
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])

    def upload(sender, **body):
        edit = item(
            family,
            kind="household_edit",
            version=Household.objects.get(pk=family.pk).version,
            body={"household": str(family.id), **body},
        )
        r = f.client_for(sender).post("/api/v1/field/uploads/", edit)
        assert r.status_code == 201 and r.json()["status"] == "applied", r.json()
        return r

    upload(officer, address="Số 8")
    assert latest_change(family) == ("field_app", officer.username, "field_app")
    history = api.get(f"/api/v1/households/{family.id}/history/").json()
    assert (history[0]["channel"], history[0]["user"]) == ("field_app", officer.username)

    r = f.client_for(enumerator).patch(
        f"/api/v1/households/{family.id}/", {"address": "Số 9"}, HTTP_IF_MATCH='"2"'
    )
    assert r.status_code == 200, r.json()
    assert latest_change(family) == ("api", enumerator.username, "api")

    head = family.members.get(relationship="head")
    batch = [
        item(
            family,
            kind="member_edit",
            version=3,
            body={"member": str(head.id), "version": head.version, "full_name": "Đinh Văn Hà"},
        )
    ]
    r = f.client_for(officer).post("/api/v1/field/uploads/batch/", {"items": batch}, format="json")
    assert [row["status"] for row in r.json()] == ["applied"], r.json()
    assert latest_change(head, "member") == ("field_app", officer.username, "field_app")

    stale = item(
        family,
        kind="household_edit",
        version=1,
        body={"household": str(family.id), "phone": "0933333333"},
    )
    r = f.client_for(enumerator).post("/api/v1/field/uploads/", stale)
    assert r.json()["status"] == "conflict"
    r = f.client_for(officer).post(
        f"/api/v1/field/uploads/{stale['client_id']}/resolve/", {"action": "apply"}
    )
    assert r.json()["status"] == "resolved_applied", r.json()
    assert latest_change(family) == ("field_app", officer.username, "field_app")


def test_a_survey_upload_is_a_field_app_change_whoever_sends_it(ward, family):
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    r = f.client_for(officer).post("/api/v1/field/uploads/", item(family))
    assert r.status_code == 201, r.json()
    survey = Survey.objects.get(pk=r.json()["result"]["survey"])
    assert survey.history.get().history_channel == "field_app"


def test_a_household_registered_through_the_api_has_the_api_as_its_source(ward):
    """The source of a household is the way it entered the register: POST /households/ is
    the API, whoever sends it (the field app's offline registration is `field_survey`:
    tests/integrations/test_field_household_create.py)."""
    enumerator = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    body = {
        "commune": ward.code,
        "address": "Tổ 4",
        "members": [
            {
                "full_name": "Hà Văn Tú",
                "date_of_birth": "1985-04-04",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "head",
            }
        ],
    }
    r = enumerator.post("/api/v1/households/", body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["source"] == "api"
    household = Household.objects.get(pk=r.json()["id"])
    assert household.history.get().history_channel == "api"
