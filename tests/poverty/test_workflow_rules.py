"""The review workflow's rules (pure): the state machine, what holds an approval back, and
working days. No database."""

from datetime import date, timedelta

import pytest

from poverty import workflow as w
from poverty.models import WorkflowState

THU = date(2026, 10, 1)  # a Thursday: a posting from it runs over a weekend
TODAY = date(2026, 11, 29)


def test_every_state_has_its_steps():
    assert set(w.STEPS) == set(WorkflowState.values)
    assert {step for steps in w.STEPS.values() for step in steps} == {
        w.VILLAGE_MEETING,
        w.POST,
        w.COMPLAINTS,
        w.APPROVE,
        w.REJECT,
    }


@pytest.mark.parametrize(
    ("review", "allowed"),
    [
        (w.Review(w.SURVEYED, TODAY), ["village-meeting", "reject"]),
        (w.Review(w.VILLAGE_AGREED, TODAY), ["post", "reject"]),
        # posted until today: approval waits for tomorrow
        (w.Review(w.POSTED, TODAY, posted_to=TODAY), ["reject", "complaints"]),
        (w.Review(w.POSTED, TODAY, posted_to=TODAY + timedelta(10)), ["reject", "complaints"]),
        # posted until yesterday: over
        (
            w.Review(w.POSTED, TODAY, posted_to=TODAY - timedelta(1)),
            ["approve", "reject", "complaints"],
        ),
        (
            w.Review(w.POSTED, TODAY, posted_to=TODAY - timedelta(1), open_complaints=True),
            ["reject", "complaints"],
        ),
        (w.Review(w.POSTED, TODAY), ["reject", "complaints"]),  # no period recorded
        (w.Review(w.APPROVED, TODAY), []),
        (w.Review(w.REJECTED, TODAY), []),
        (w.Review(w.RETURNED, TODAY), []),
    ],
)
def test_allowed_steps(review, allowed):
    assert w.allowed(review) == allowed
    for step in allowed:
        assert w.refusal(step, review) is None


@pytest.mark.parametrize(
    ("step", "review", "code"),
    [
        ("approve", w.Review(w.SURVEYED, TODAY), "illegal_transition"),
        ("post", w.Review(w.RETURNED, TODAY), "illegal_transition"),
        ("village-meeting", w.Review(w.POSTED, TODAY, posted_to=TODAY), "illegal_transition"),
        ("complaints", w.Review(w.APPROVED, TODAY), "illegal_transition"),
        ("reject", w.Review(w.APPROVED, TODAY), "illegal_transition"),
        ("approve", w.Review(w.POSTED, TODAY, posted_to=TODAY), "posting_in_progress"),
        (
            "approve",
            w.Review(w.POSTED, TODAY, posted_to=TODAY - timedelta(1), open_complaints=True),
            "open_complaints",
        ),
    ],
)
def test_refusals(step, review, code):
    refusal = w.refusal(step, review)
    assert refusal is not None and refusal.code == code and refusal.reason


def test_the_posting_refusal_says_from_when():
    refusal = w.refusal("approve", w.Review(w.POSTED, TODAY, posted_to=date(2026, 11, 30)))
    assert "until 2026-11-30" in refusal.reason and "from 2026-12-01" in refusal.reason


@pytest.mark.parametrize(
    ("start", "days", "holidays", "working"),
    [
        (THU, 1, (), 1),  # Thu
        (THU, 2, (), 2),  # Thu Fri
        (THU, 3, (), 2),  # + Sat
        (THU, 4, (), 2),  # + Sun
        (THU, 5, (), 3),  # + Mon
        (THU, 7, (), 5),  # a week
        (THU, 14, (), 10),
        (THU, 15, (), 11),
        (date(2026, 10, 3), 2, (), 0),  # Sat Sun
        (date(2026, 10, 3), 3, (), 1),  # Sat Sun Mon
        (date(2026, 10, 4), 7, (), 5),  # Sun to Sat
        (THU, 5, (date(2026, 10, 5),), 2),  # Monday a holiday
        (THU, 5, (date(2026, 10, 4),), 3),  # a holiday on a Sunday changes nothing
        (THU, 5, (date(2026, 10, 6),), 3),  # a holiday after the period changes nothing
        (THU, 5, (date(2026, 10, 1), date(2026, 10, 1)), 2),  # listed twice: counted once
        (THU, 0, (), 0),  # ends before it starts
    ],
)
def test_working_days(start, days, holidays, working):
    end = start + timedelta(days=days - 1)
    assert w.working_days(start, end, holidays) == working
    by_hand = sum(
        1 for n in range(days) if (d := start + timedelta(n)).weekday() < 5 and d not in holidays
    )
    assert working == by_hand


def test_working_days_of_the_longest_period_the_api_takes():
    # counted by walking the 2,958,464 days once
    assert w.working_days(date(1900, 1, 1), date(9999, 12, 31)) == 2_113_190


@pytest.mark.parametrize(
    ("posted_from", "posted_to", "ok"),
    [
        (THU, THU, False),
        (THU, date(2026, 10, 2), False),  # Thu–Fri: 2
        (THU, date(2026, 10, 4), False),  # Thu–Sun: 2
        (THU, date(2026, 10, 5), True),  # Thu–Mon: 3
        (date(2026, 10, 2), date(2026, 10, 5), False),  # Fri–Mon: 2
        (date(2026, 10, 2), date(2026, 10, 6), True),  # Fri–Tue: 3
        (date(2026, 10, 3), date(2026, 10, 6), False),  # Sat–Tue: 2
        (date(2026, 10, 3), date(2026, 10, 7), True),  # Sat–Wed: 3
        (date(2026, 10, 5), THU, False),  # ends before it starts
    ],
)
def test_posting_period_of_at_least_three_working_days(posted_from, posted_to, ok):
    problem = w.posting_problem(posted_from, posted_to, minimum=3)
    assert (problem is None) is ok
