"""Households and members as the standard's records: SRGroup (`Group`, the household with
its head and members), SRMember (`Member`) and SRPerson (`demographic_info`), per
`src/extensions/social/Group.yaml` of spdci/standards.

The Vietnam-specific facts (province, commune, village, the household's status, the
official poverty status per standard with its deprivations) are the standard's
`additional_attributes`, as name/value pairs. A fact not recorded is left out, never
guessed: a member without a recorded sex has no `sex`. Personal fields (core.personal) are
left out for a partner whose role may not read them.

The querysets below load a page in a fixed number of queries (tests/dci: query counts).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from households.choices import HouseholdStatus, MemberStatus, Relationship
from households.models import Household, Member
from poverty.models import OfficialStatus

CONTEXT = {
    "spdci": "https://schema.spdci.org/extensions/social/v1/",
    "common": "https://schema.spdci.org/common/v1/",
}
GROUP_TYPE = "household"


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def identifier(kind: str, value: str | None) -> dict[str, str] | None:
    if not value:
        return None
    return {"@type": "Identifier", "identifier_type": kind, "identifier_value": value}


def attributes(pairs: dict[str, Any]) -> list[dict[str, Any]]:
    """The standard's additional attributes: name/value pairs, unknown values left out."""
    return [{"name": k, "value": v} for k, v in pairs.items() if v is not None and v != ""]


def split_name(full_name: str) -> dict[str, str]:
    """A Vietnamese name: family name first, given name last, middle names between."""
    parts = full_name.split()
    if len(parts) < 2:
        return {"@type": "Name", "given_name": full_name}
    name = {"@type": "Name", "surname": parts[0], "given_name": parts[-1]}
    if len(parts) > 2:
        name["second_name"] = " ".join(parts[1:-1])
    return name


def person(member: Member, *, personal: bool) -> dict[str, Any]:
    """SRPerson: who the member is."""
    record: dict[str, Any] = {"@type": "SRPerson"}
    if personal:
        ids = [
            identifier("CITIZEN_ID", member.citizen_id),
            identifier("PERSON_REGISTRY_ID", member.external_id),
        ]
        record["identifier"] = [i for i in ids if i]
        record["name"] = split_name(member.full_name)
        if member.date_of_birth:
            record["birth_date"] = member.date_of_birth.isoformat()
    elif member.date_of_birth:
        record["birth_year"] = member.date_of_birth.year  # not personal (core.personal)
    if member.sex:
        record["sex"] = member.sex
    if member.ethnicity_id:
        record["ethnicity"] = member.ethnicity_id
    record["is_deceased"] = member.status == MemberStatus.DECEASED
    if member.status == MemberStatus.DECEASED and member.status_date:
        record["death_date"] = member.status_date.isoformat()
    record["registration_date"] = _iso(member.created_at)
    return record


def member_record(member: Member, *, personal: bool, household_code: str) -> dict[str, Any]:
    """SRMember: the person in the household."""
    return {
        "@type": "Member",
        "@id": f"urn:uuid:{member.pk}",
        "member_identifier": [identifier("MEMBER_ID", str(member.pk))],
        "demographic_info": person(member, personal=personal),
        "registration_date": _iso(member.created_at),
        "last_updated": _iso(member.updated_at),
        "additional_attributes": attributes(
            {
                "household_code": household_code,
                "relationship_to_head": member.relationship,
                "member_status": member.status,
            }
        ),
    }


def _deprivations(status: OfficialStatus) -> list[str]:
    codes = [c for c in status.indicator_codes.split(",") if c]
    return [c for i, c in enumerate(codes) if status.deprived_mask >> i & 1]


def poverty_statuses(statuses: list[OfficialStatus]) -> list[dict[str, Any]]:
    """The household's current official status under each standard, with its deprivations."""
    return [
        {
            "standard": s.standard.code,
            "standard_revision": s.standard.revision,
            "classification": s.classification,
            "valid_from": s.valid_from.isoformat(),
            "event": s.event,
            "deprivation_count": s.deprivation_count,
            "deprivations": _deprivations(s),
        }
        for s in sorted(statuses, key=lambda s: (s.standard.code, s.standard.revision))
    ]


def group_record(household: Household, *, personal: bool) -> dict[str, Any]:
    """SRGroup: the household, its head and its present members."""
    members = [m for m in household.members.all() if m.status == MemberStatus.PRESENT]
    head = next((m for m in members if m.relationship == Relationship.HEAD), None)
    ids = [identifier("HOUSEHOLD_CODE", household.code)]
    if personal:
        ids.append(identifier("HOUSEHOLD_REGISTRY_ID", household.external_id))
    place: dict[str, Any] = {"@type": "Place"}
    if personal:
        place["address"] = household.address
        if household.latitude is not None and household.longitude is not None:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": str(household.latitude),
                "longitude": str(household.longitude),
            }
    commune = household.commune
    return {
        "@context": CONTEXT,
        "@id": f"urn:uuid:{household.pk}",
        "@type": "Group",
        "group_identifier": [i for i in ids if i],
        "group_type": GROUP_TYPE,
        "place": place,
        "group_head_info": (
            member_record(head, personal=personal, household_code=household.code) if head else None
        ),
        "group_size": len(members),
        "member_list": [
            member_record(m, personal=personal, household_code=household.code) for m in members
        ],
        "registration_date": _iso(household.created_at),
        "last_updated": _iso(household.updated_at),
        "additional_attributes": attributes(
            {
                "province_code": commune.province_id,
                "province_name": commune.province.name,
                "commune_code": commune.code,
                "commune_name": commune.name,
                "village": household.village.name if household.village_id else None,
                "household_status": household.status,
                "household_active": household.status == HouseholdStatus.ACTIVE,
                "poverty_status": poverty_statuses(list(household.current_statuses)),
            }
        ),
    }


def groups_for_page(households: QuerySet[Household]) -> QuerySet[Household]:
    """What a page of group records reads: the units, the members, the current statuses."""
    return households.select_related("commune__province", "village").prefetch_related(
        Prefetch(
            "members",
            queryset=Member.objects.select_related("ethnicity").order_by("id"),
        ),
        Prefetch(
            "official_statuses",
            queryset=OfficialStatus.objects.filter(valid_to__isnull=True).select_related(
                "standard"
            ),
            to_attr="current_statuses",
        ),
    )


def members_for_page(members: QuerySet[Member]) -> QuerySet[Member]:
    return members.select_related("household", "ethnicity")
