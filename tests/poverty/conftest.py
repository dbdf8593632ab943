from datetime import date, timedelta

import pytest

from accounts.roles import Role
from core.access import FULL_ACCESS, SYSTEM
from households.models import Household
from poverty import services
from poverty.models import PovertyStandard
from tests import factories as f


def survey_body(
    household: Household,
    *,
    day: str = "2026-10-01",
    income: int = 60_000_000,
    poor_housing: bool = False,
    **overrides,
) -> dict:
    """A survey of every present member. Default: well-off facts (no deprivation)."""
    on = date.fromisoformat(day)
    members = []
    for m in household.members.filter(status="present"):
        age = services.age_on(m.date_of_birth, on)
        members.append(
            {
                "member": str(m.id),
                "has_health_insurance": True,
                "schooling": ("attending" if age < 16 else "not_attending") if age <= 30 else None,
                "education_level": "upper_secondary" if age >= 16 else "primary",
                "employment": "wage_contract" if age >= 15 else "not_in_labour_force",
                "receives_social_allowance": False,
                "nutrition": "normal" if age < 16 else None,
            }
        )
    body = {
        "household": str(household.id),
        "survey_date": day,
        "form": "b2",
        "enumerator_name": "Cán bộ A",
        "income_wages": income,
        "income_agriculture": 0,
        "wall_material": "bamboo" if poor_housing else "brick_stone",
        "frame_material": "timber" if poor_housing else "concrete",
        "roof_material": "leaves_straw" if poor_housing else "tile",
        "floor_area_m2": "5.00" if poor_housing else "80.00",
        "water_source": "surface" if poor_housing else "tap",
        "latrine": "none" if poor_housing else "septic",
        "uses_internet": not poor_housing,
        "devices": [] if poor_housing else ["tv", "smartphone"],
        "waste_treatment": "collected",
        "members": members,
    }
    body.update(overrides)
    return body


def submit(household, **kwargs):
    """Submit a survey through the service (as a field app would) and return it."""
    from poverty.api.serializers import SurveySerializer

    serializer = SurveySerializer(
        data=survey_body(household, **kwargs), context={"access": FULL_ACCESS}
    )
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    values.pop("household")
    members = values.pop("members")
    rnd = values.pop("review_round", None)
    application = values.pop("application", "none")
    return services.survey_submit(
        actor=SYSTEM,
        household=household,
        values=values,
        members=members,
        review_round=rnd,
        application=application,
    )


def decide(household, actor, *, day: str, decision: str, **survey):
    """Survey, meeting, a week's posting from that day (5 working days) and approval, as the
    commune would: `decision` is at least a week after `day`."""
    a = submit(household, day=day, **survey).assessments.get(standard__code="VN-ND07-2021")
    return approve(a, actor, decision=decision)


def approve(a, actor, *, decision: str):
    """The review of a surveyed assessment: the meeting on its survey date, a week's posting
    from then, and the approval dated `decision` (at least a week later)."""
    start = a.survey.survey_date
    a = services.assessment_record_meeting(
        assessment=a,
        expected_version=1,
        actor=actor,
        meeting_date=start,
        attendees=10,
        agreeing=8,
    )
    a = services.assessment_post(
        assessment=a,
        expected_version=2,
        actor=actor,
        posted_from=start,
        posted_to=start + timedelta(days=6),
    )
    return services.assessment_approve(
        assessment=a,
        expected_version=3,
        actor=actor,
        decision_number="1/QĐ",
        decision_date=date.fromisoformat(decision),
    )


@pytest.fixture
def family(ward):
    """A ward household of two adults and a child."""
    return f.household(
        ward,
        members=[
            f.member("Đinh Văn Hải", dob=date(1980, 1, 1)),
            f.member("Lò Thị Mơ", relationship="spouse", sex="female", dob=date(1982, 2, 2)),
            f.member(
                "Đinh Văn Bé", relationship="child", dob=date(2016, 3, 3), with_citizen_id=False
            ),
        ],
    )


@pytest.fixture
def leader(ward):
    return f.user(Role.COMMUNE_LEADER, communes=[ward])


@pytest.fixture
def leader_api(leader):
    return f.client_for(leader)


@pytest.fixture
def decree07(db):
    return PovertyStandard.objects.get(code="VN-ND07-2021")


@pytest.fixture
def decree351(db):
    return PovertyStandard.objects.get(code="VN-ND351-2025")
