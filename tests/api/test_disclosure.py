"""No answer tells a caller about people or households outside their area: a citizen ID held
elsewhere is "registered elsewhere", with no code and no name, whichever door asked; an id of
a record outside the area is answered as one that exists nowhere."""

import json
import uuid
from datetime import date

import pytest

from accounts.roles import Role
from core.access import SYSTEM
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(rural):
    """A household in another commune, holding a citizen ID."""
    return f.household(rural, members=[f.member("Hoàng Văn Xa", dob=date(1975, 4, 4))])


def _member_body(citizen_id: str | None, **extra) -> dict:
    return {
        "full_name": "Người Mới",
        "date_of_birth": "1975-04-04",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "head",
        "citizen_id": citizen_id,
        **extra,
    }


def _assert_discloses_nothing(body: dict, household) -> None:
    text = str(body)
    head = household.members.get()
    assert household.code not in text
    assert head.full_name not in text and str(household.id) not in text
    assert "elsewhere; the province can resolve it" in text


def test_household_create_with_a_citizen_id_held_elsewhere(ward_api, ward, elsewhere):
    taken = elsewhere.members.get().citizen_id
    r = ward_api.post(
        "/api/v1/households/",
        {"commune": ward.code, "address": "x", "members": [_member_body(taken)]},
    )
    assert r.status_code == 409 and r.json()["code"] == "duplicate_citizen_id"
    _assert_discloses_nothing(r.json(), elsewhere)
    assert r.json()["errors"][0]["field"] == "members.0.citizen_id"


def test_member_writes_with_a_citizen_id_held_elsewhere(ward_api, ward, elsewhere):
    mine = f.household(ward)
    taken = elsewhere.members.get().citizen_id
    r = ward_api.post(
        "/api/v1/members/",
        {"household": str(mine.id), **_member_body(taken, relationship="child")},
    )
    assert r.status_code == 409
    _assert_discloses_nothing(r.json(), elsewhere)
    head = mine.members.get()
    r = ward_api.patch(
        f"/api/v1/members/{head.id}/",
        {"citizen_id": taken, "date_of_birth": "1975-04-04"},
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 409
    _assert_discloses_nothing(r.json(), elsewhere)


def test_a_registry_id_held_elsewhere_is_only_already_used(ward_api, ward, elsewhere):
    """A household's registry ID held by a household of another area: registering or
    changing a household with it answers "already used" on the field, as a field upload does,
    without the ID or the household that holds it (not the generic conflict)."""
    Household = type(elsewhere)
    Household.objects.filter(pk=elsewhere.pk).update(external_id="HK-22-000777")
    body = {"commune": ward.code, "address": "x", "external_id": "HK-22-000777"}
    created = ward_api.post("/api/v1/households/", {**body, "members": [_member_body(None)]})
    mine = f.household(ward)
    changed = ward_api.patch(
        f"/api/v1/households/{mine.id}/",
        {"external_id": "HK-22-000777"},
        HTTP_IF_MATCH=f'"{mine.version}"',
    )
    for r in (created, changed):
        assert r.status_code == 409, r.json()
        assert r.json()["code"] == "duplicate_external_id"
        assert r.json()["errors"][0]["field"] == "external_id"
        assert "HK-22-000777" not in str(r.json()) and elsewhere.code not in str(r.json())
    assert Household.objects.filter(external_id="HK-22-000777").count() == 1
    mine.refresh_from_db()
    assert mine.external_id is None and mine.version == 1


def test_a_citizen_id_held_inside_the_area_names_the_household(ward_api, ward):
    """What the caller may read anyway is said: the household that holds it (no name)."""
    mine = f.household(ward, members=[f.member("Trần Văn Gần", dob=date(1970, 1, 1))])
    head = mine.members.get()
    r = ward_api.post(
        "/api/v1/households/",
        {
            "commune": ward.code,
            "address": "x",
            "members": [_member_body(head.citizen_id, date_of_birth="1970-01-01")],
        },
    )
    assert r.status_code == 409 and mine.code in r.json()["detail"]
    assert head.full_name not in str(r.json())


def test_registry_sync_dry_run_with_a_citizen_id_held_elsewhere(ward, elsewhere):
    registry = f.client_for(f.user(Role.REGISTRY_SYSTEM, communes=[ward]))
    taken = elsewhere.members.get().citizen_id
    record = {
        "external_id": "HK-1",
        "commune": ward.code,
        "address": "Số 1",
        "members": [
            {
                "external_id": "CD-1",
                "full_name": "Người Mới",
                "date_of_birth": "1975-04-04",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "head",
                "citizen_id": taken,
            }
        ],
    }
    r = registry.post("/api/v1/registry-sync/?dry_run=true", [record], format="json")
    assert r.status_code == 200
    outcome = r.json()["records"][0]
    assert outcome["outcome"] == "rejected"
    assert outcome["errors"][0]["field"] == "members.0.citizen_id"
    _assert_discloses_nothing(outcome, elsewhere)


def test_registry_sync_of_a_household_registered_outside_the_area(ward, rural):
    theirs = f.household(rural, external_id="HK-THEIRS")
    registry = f.client_for(f.user(Role.REGISTRY_SYSTEM, communes=[ward]))
    record = {
        "external_id": "HK-THEIRS",
        "commune": ward.code,
        "address": "Số 1",
        "members": [
            {
                "external_id": "CD-2",
                "full_name": "Người Khác",
                "date_of_birth": "1980-01-01",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "head",
                "citizen_id": None,
            }
        ],
    }
    r = registry.post("/api/v1/registry-sync/?dry_run=true", [record], format="json")
    outcome = r.json()["records"][0]
    assert outcome["outcome"] == "rejected" and outcome["errors"][0]["code"] == "outside_area"
    assert theirs.code not in str(outcome) and rural.code not in str(outcome)


# ------------------------------------------------------------ existence probes by UUID
# An id of a record outside the caller's area is answered exactly as an id that exists
# nowhere: same status, same body (but for the id itself, which the caller sent), same field
# path. Otherwise a caller could try ids and learn which exist elsewhere.


def _alike(outside, unknown, outside_id, unknown_id) -> dict:
    """The two answers, the same but for the id each request named; returns one of them."""
    assert outside.status_code == unknown.status_code
    texts = [
        json.dumps(r.json(), sort_keys=True, ensure_ascii=False).replace(str(i), "<id>")
        for r, i in ((outside, outside_id), (unknown, unknown_id))
    ]
    assert texts[0] == texts[1]
    return outside.json()


def _enumerator(commune):
    return f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[commune]))


def _upload(kind: str, body: dict, version: int | None = 1) -> dict:
    return {
        "client_id": str(uuid.uuid4()),
        "kind": kind,
        "based_on_version": version,
        "captured_at": "2026-10-01T08:30:00+07:00",
        "body": body,
    }


def _alike_uploads(client, kind: str, bodies: list[dict], ids: list, version: int | None = 1):
    """Each body uploaded (two): the answers the same but for the id each named, and for what
    differs by upload (its client_id, its time). Returns the first (status, upload status,
    result)."""
    answers = []
    for body, named in zip(bodies, ids, strict=True):
        r = client.post("/api/v1/field/uploads/", _upload(kind, body, version), format="json")
        answer = (r.status_code, r.json()["status"], r.json()["result"])
        answers.append(json.dumps(answer, ensure_ascii=False).replace(str(named), "<id>"))
    assert answers[0] == answers[1]
    return json.loads(answers[0])


def test_a_survey_naming_a_member_outside_the_area(ward_api, ward, elsewhere):
    """`members[].member` of another area's person: "does not exist", as an unknown id, not
    "not a member of household <code>" (which told that the person exists, and, through the
    birth-date check, when they were born)."""
    from tests.poverty.conftest import survey_body

    mine = f.household(ward)
    theirs, unknown = elsewhere.members.get().pk, uuid.uuid4()
    answers = []
    for member_id in (theirs, unknown):
        body = survey_body(mine)
        body["members"][0]["member"] = str(member_id)
        answers.append(ward_api.post("/api/v1/surveys/", body, format="json"))
    body = _alike(*answers, theirs, unknown)
    assert answers[0].status_code == 400
    assert [e["field"] for e in body["errors"]] == ["members.0.member"]
    assert "does not exist" in body["errors"][0]["reason"]
    # The field apps' survey upload answers alike too.
    bodies = [survey_body(mine) for _ in range(2)]
    bodies[0]["members"][0]["member"], bodies[1]["members"][0]["member"] = str(theirs), str(unknown)
    answer = _alike_uploads(_enumerator(ward), "survey", bodies, [theirs, unknown])
    assert answer[:2] == [400, "rejected"]


def test_field_uploads_filtered_by_a_household_outside_the_area(ward_api, ward, rural, elsewhere):
    """`?household=` of a household outside the area: the same empty page as an unknown id
    (it was an empty page for one, a 400 "not one of the available choices" for the other)."""
    from tests.poverty.conftest import survey_body

    r = _enumerator(rural).post(
        "/api/v1/field/uploads/", _upload("survey", survey_body(elsewhere)), format="json"
    )
    assert r.status_code == 201, r.json()
    unknown = uuid.uuid4()
    answers = [
        ward_api.get("/api/v1/field/uploads/", {"household": str(i)})
        for i in (elsewhere.pk, unknown)
    ]
    body = _alike(*answers, elsewhere.pk, unknown)
    assert answers[0].status_code == 200 and body["results"] == []


def test_complaints_filtered_by_an_assessment_outside_the_area(ward_api, elsewhere):
    """`?assessment=` of another area's assessment: the same empty page as an unknown id."""
    from tests.poverty.conftest import submit

    theirs = submit(elsewhere).assessments.first().pk
    unknown = uuid.uuid4()
    answers = [
        ward_api.get("/api/v1/complaints/", {"assessment": str(i)}) for i in (theirs, unknown)
    ]
    body = _alike(*answers, theirs, unknown)
    assert answers[0].status_code == 200 and body["results"] == []


def test_a_household_write_naming_a_village_outside_the_area(ward_api, ward, rural):
    """A village of another area is "does not exist", as an unknown id, not "not in commune
    X" (which told that it exists): on registration, on a change and from a field app."""
    from geo import services as geo

    theirs = geo.village_save(actor=SYSTEM, village=None, values={"commune": rural, "name": "Xa"})
    unknown = uuid.uuid4()
    creates = [
        ward_api.post(
            "/api/v1/households/",
            {
                "commune": ward.code,
                "village": str(i),
                "address": "x",
                "members": [_member_body(None, date_of_birth="1990-01-01")],
            },
            format="json",
        )
        for i in (theirs.pk, unknown)
    ]
    body = _alike(*creates, theirs.pk, unknown)
    assert creates[0].status_code == 400 and [e["field"] for e in body["errors"]] == ["village"]
    assert "does not exist" in body["errors"][0]["reason"]
    mine = f.household(ward)
    changes = [
        ward_api.patch(f"/api/v1/households/{mine.pk}/", {"village": str(i)}, HTTP_IF_MATCH='"1"')
        for i in (theirs.pk, unknown)
    ]
    _alike(*changes, theirs.pk, unknown)
    assert changes[0].status_code == 400
    enumerator, ids = _enumerator(ward), [theirs.pk, unknown]
    edit = _alike_uploads(
        enumerator,
        "household_edit",
        [{"household": str(mine.pk), "village": str(i)} for i in ids],
        ids,
    )
    assert edit[:2] == [400, "rejected"] and "village" in edit[2]["fields"]
    registration = {"commune": ward.code, "address": "x"}
    head = {**_member_body(None, date_of_birth="1990-01-01")}
    create = _alike_uploads(
        enumerator,
        "household_create",
        [
            {
                **registration,
                "id": str(uuid.uuid4()),
                "village": str(i),
                "members": [{**head, "id": str(uuid.uuid4())}],
            }
            for i in ids
        ],
        ids,
        version=None,
    )
    assert create[:2] == [400, "rejected"] and "village" in create[2]["fields"]


def test_the_admins_household_form_naming_a_village_outside_the_area(client, ward, rural):
    """The admin is a door too: its household form refuses another area's village as an
    unknown one ("not one of the available choices"), before the service would answer "not in
    commune X"."""
    from geo import services as geo
    from households.models import Household
    from tests.admin.test_survey_area import answer

    f.staff_login(client, Role.COMMUNE_OFFICER, communes=[ward])
    theirs = geo.village_save(actor=SYSTEM, village=None, values={"commune": rural, "name": "Xa"})
    unknown = uuid.uuid4()
    pages = [
        answer(
            client.post(
                "/admin/households/household/add/", {**f.admin_household(ward), "village": str(i)}
            ),
            i,
        )
        for i in (theirs.pk, unknown)
    ]
    assert pages[0] == pages[1] and "not one of the available choices" in pages[0][0]
    assert not Household.objects.exists()


def _admin_form(response) -> dict:
    """The admin page's form as it would post it back: its values and its inlines' management
    forms."""
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({f"{formset.prefix}-{n}": management[n].value() for n in management.fields})
    return {k: "" if v is None else v for k, v in data.items()}


@pytest.fixture
def hanoi(db):
    """A commune of another province: outside a Quảng Ninh province officer's area."""
    from geo.models import Commune

    return Commune.objects.filter(province_id="01").order_by("code").first()


def test_the_admins_target_page_naming_a_village_outside_the_area(client, ward, hanoi):
    """A target's village from another area: refused as an unknown id, before the service
    would say "not in the target's commune"."""
    from geo import services as geo
    from support.models import Target
    from tests.admin.test_survey_area import answer

    f.staff_login(client, Role.PROVINCE_OFFICER, provinces=["22"])
    village = geo.village_save(actor=SYSTEM, village=None, values={"commune": hanoi, "name": "Xa"})
    unknown = uuid.uuid4()
    target = {
        "commune": ward.code,
        "year": "2026",
        "standard_code": "VN-ND07-2021",
        "households_to_lift": "1",
        "poverty_rate_target": "1.0",
    }
    pages = [
        answer(client.post("/admin/support/target/add/", {**target, "village": str(i)}), i)
        for i in (village.pk, unknown)
    ]
    assert pages[0] == pages[1] and "not one of the available choices" in pages[0][0]
    assert not Target.objects.exists()


def test_the_admins_livelihood_page_naming_a_household_outside_the_area(client, ward, hanoi):
    """A livelihood model's participating household from another area: refused as an unknown
    id, before the service would say "not a household of commune X"."""
    from support.models import LivelihoodModel, Participation
    from tests.admin.test_survey_area import answer

    f.staff_login(client, Role.PROVINCE_OFFICER, provinces=["22"])
    household, unknown = f.household(hanoi), uuid.uuid4()
    model = LivelihoodModel.objects.create(
        name="Nuôi ong", type="bees", commune=ward, start_date="2026-01-01"
    )
    url = f"/admin/support/livelihoodmodel/{model.pk}/change/"
    form = _admin_form(client.get(url))
    pages = []
    for i in (household.pk, unknown):
        joins = {
            "participants-TOTAL_FORMS": "1",
            "participants-0-model": str(model.pk),
            "participants-0-household": str(i),
            "participants-0-joined_on": "2026-02-01",
            "participants-0-income_before": "10000000",
            "participants-0-still_active": "on",
        }
        pages.append(answer(client.post(url, {**form, **joins}), i))
    assert pages[0] == pages[1] and "not one of the available choices" in " ".join(pages[0])
    assert not Participation.objects.exists()


def test_a_client_chosen_id_taken_elsewhere_is_only_already_used(ward, rural, elsewhere):
    """A field app registers a household under ids it generated. One that is taken cannot be
    used, wherever its holder is: the answer says "already used", nothing of the holder (no
    code, commune or name), the same whether the holder is outside the area or inside.
    Acceptable: the ids are random UUIDs, not guessable, and a device sending its own
    registration again gets the idempotent replay of its upload (same client_id)."""
    mine = f.household(ward)
    enumerator = _enumerator(ward)

    def registration(household_id, member_id) -> dict:
        head = _member_body(None, date_of_birth="1990-01-01")
        return {
            "id": str(household_id),
            "commune": ward.code,
            "address": "x",
            "members": [{**head, "id": str(member_id)}],
        }

    holders = [elsewhere, mine]
    for taken in ([h.pk for h in holders], [h.members.get().pk for h in holders]):
        is_household = taken[0] == elsewhere.pk
        answer = _alike_uploads(
            enumerator,
            "household_create",
            [
                registration(i, uuid.uuid4()) if is_household else registration(uuid.uuid4(), i)
                for i in taken
            ],
            taken,
            version=None,
        )
        assert answer[:2] == [400, "rejected"] and answer[2]["code"] == "id_taken"
        what = "Household" if is_household else "Member"
        assert answer[2]["detail"] == f"{what} id <id> is already used."
        text = json.dumps(answer, ensure_ascii=False)
        for holder in holders:
            assert holder.code not in text and holder.members.get().full_name not in text
        assert rural.code not in text and ward.code not in text
