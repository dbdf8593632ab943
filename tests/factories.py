"""Test data built through the real services (no mocks of our own database)."""

from __future__ import annotations

import itertools
from datetime import date

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts import services as token_services
from accounts.choices import TokenPurpose
from accounts.models import UserAccess
from core.access import SYSTEM
from core.models import ChangeEvent
from geo.models import Commune, EthnicGroup, Village
from households import services
from households.choices import HouseholdStatus, Source
from households.models import Household, Member

_seq = itertools.count(1)


def citizen_id(dob: date, sex: str, province: str = "022") -> str:
    """A valid citizen ID for this birth date and sex, unique within the test run."""
    century_digit = (dob.year // 100 - 19) * 2 + (0 if sex == "male" else 1)
    return f"{province}{century_digit}{dob.year % 100:02d}{next(_seq):06d}"


def member(
    full_name: str = "Nguyễn Văn An",
    *,
    relationship: str = "head",
    dob: date = date(1980, 5, 1),
    sex: str = "male",
    ethnicity: str = "01",
    with_citizen_id: bool = True,
    **extra,
) -> dict:
    values = {
        "full_name": full_name,
        "date_of_birth": dob,
        "sex": sex,
        "ethnicity": EthnicGroup.objects.get(code=ethnicity),
        "relationship": relationship,
    }
    if with_citizen_id:
        values["citizen_id"] = citizen_id(dob, sex)
    values.update(extra)
    return values


def household(
    commune: Commune | str,
    *,
    village: Village | None = None,
    members: list[dict] | None = None,
    address: str = "Thôn 1",
    **extra,
) -> Household:
    if isinstance(commune, str):
        commune = Commune.objects.get(code=commune)
    members = members or [member()]
    data = services.HouseholdInput(
        values={"commune": commune, "village": village, "address": address, **extra},
        members=[services.MemberInput(values=m) for m in members],
    )
    return services.household_register(actor=SYSTEM, data=data, source=Source.ADMIN)


def close(household: Household, status: str, *, into: Household | None = None) -> Household:
    """`household` closed as `status` through the services (moved_out, dissolved; merged:
    `into` that household), read again."""
    on, reason = date.today(), "Đóng hộ"
    if status == HouseholdStatus.MERGED:
        services.household_merge(
            actor=SYSTEM,
            source=household,
            target=into,
            expected_version=household.version,
            reason=reason,
            on=on,
        )
    else:
        services.household_close(
            actor=SYSTEM,
            household=household,
            expected_version=household.version,
            status=status,
            reason=reason,
            on=on,
        )
    household.refresh_from_db()
    return household


def traces(household: Household) -> tuple:
    """What a write to `household` or its members would leave: their versions, and the
    history rows and change-feed events of the whole register."""
    household.refresh_from_db()
    return (
        household.version,
        sorted(household.members.values_list("pk", "version")),
        Household.history.count(),
        Member.history.count(),
        ChangeEvent.objects.count(),
    )


def household_with_deceased_elder(commune, head: str, elder: str):
    """A household of a present head and a deceased grandmother, who stays in it even when
    it is merged (only present members move)."""
    return household(
        commune,
        members=[
            member(head),
            member(
                elder,
                relationship="grandparent",
                sex="female",
                dob=date(1940, 1, 1),
                status="deceased",
                status_date=date(2025, 1, 1),
            ),
        ],
    )


def user(
    role: str | None,
    *,
    communes=(),
    provinces=(),
    villages=(),
    superuser=False,
    username: str | None = None,
):
    User = get_user_model()
    name = username or f"user{next(_seq)}"
    if superuser:
        u = User.objects.create_superuser(name, f"{name}@example.org", "pw-not-used-123")
    else:
        u = User.objects.create_user(name, f"{name}@example.org", "pw-not-used-123")
    if role:
        grant = UserAccess.objects.create(user=u, role=role)
        grant.communes.set(communes)
        grant.provinces.set(provinces)
        grant.villages.set(villages)
    return u


def staff_login(client, role: str | None, **area):
    """Django's test `client`, logged in to the admin as a new staff user of `role` in the
    area (`communes=`, `provinces=`, `villages=`)."""
    u = user(role, **area)
    u.is_staff = True
    u.save()
    client.force_login(u)
    return client


def auth_header(u, **token_fields) -> str:
    """`Token <key>` for a newly issued token of the user (one per call)."""
    fields = {"name": f"test client {next(_seq)}", "purpose": TokenPurpose.OTHER, **token_fields}
    _token, key = token_services.token_issue(actor=SYSTEM, user=u, **fields)
    return f"Token {key}"


def client_for(u) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=auth_header(u))
    return client


def admin_household(commune: Commune) -> dict[str, str]:
    """The admin's add-household form for a new household of one head in `commune`."""
    return {
        "commune": commune.code,
        "village": "",
        "address": "Mới",
        "phone": "",
        "external_id": "",
        "latitude": "",
        "longitude": "",
        "status": "active",
        "status_reason": "",
        "status_date": "",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-full_name": "Ngô Thị Yến",
        "members-0-date_of_birth": "1990-02-02",
        "members-0-sex": "female",
        "members-0-ethnicity": "01",
        "members-0-relationship": "head",
        "members-0-citizen_id": "022190123456",
        "members-0-status": "present",
        "members-0-status_date": "",
    }
