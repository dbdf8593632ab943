"""The review workflow's rules (pure, no Django): which step each state allows, what holds
an approval back, and how long the public posting lasts.

`STEPS` is the state machine, the one place that says which step may follow which state.
`refusal` checks a step against it (and against the two things that hold an approval back
while a result is posted: the posting period by the server's clock, and open complaints);
`allowed` lists the steps that would be accepted now, derived from `refusal`. The services
raise the refusal as a 409 that names the allowed steps.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

# The assessment's states (the values of poverty.models.WorkflowState).
SURVEYED = "surveyed"
VILLAGE_AGREED = "village_agreed"
POSTED = "posted"
APPROVED = "approved"
REJECTED = "rejected"
RETURNED = "returned"

# The steps, named as the API's actions on an assessment (POST /assessments/{id}/<step>/).
VILLAGE_MEETING = "village-meeting"  # agreed, or returned below 50% of attendees
POST = "post"
COMPLAINTS = "complaints"  # lodge one; resolving one as upheld returns the assessment
APPROVE = "approve"
REJECT = "reject"


def _(text: str) -> str:
    """Marks an English text for translation (makemessages reads `_`); this module stays pure,
    the services translate the texts with Django's gettext where they are shown
    (`Text.render`)."""
    return text


@dataclass(frozen=True)
class Text:
    """A message in English with its values: `str()` gives the English text, `render(gettext)`
    the text in the active language (the values named in `translated` are texts too)."""

    template: str
    values: Mapping[str, object] = field(default_factory=dict)
    translated: tuple[str, ...] = ()

    def render(self, translate: Callable[[str], str]) -> str:
        values = {
            k: translate(str(v)) if k in self.translated else v for k, v in self.values.items()
        }
        return translate(self.template) % values

    def __str__(self) -> str:
        return self.render(lambda text: text)


_DOING = {
    VILLAGE_MEETING: _("record the village meeting"),
    POST: _("post the result"),
    COMPLAINTS: _("lodge or uphold a complaint"),
    APPROVE: _("approve"),
    REJECT: _("reject"),
}

STEPS: dict[str, tuple[str, ...]] = {
    SURVEYED: (VILLAGE_MEETING, REJECT),
    VILLAGE_AGREED: (POST, REJECT),
    POSTED: (APPROVE, REJECT, COMPLAINTS),
    APPROVED: (),
    REJECTED: (),
    RETURNED: (),  # a new survey starts a new assessment
}


@dataclass(frozen=True)
class Review:
    """Where an assessment's review stands, as far as the next step is concerned."""

    state: str
    today: date  # by the server's clock (Asia/Ho_Chi_Minh), never a date the client sent
    posted_to: date | None = None
    open_complaints: bool = False
    undetermined: bool = False  # its class depends on facts the survey did not record


@dataclass(frozen=True)
class Refusal:
    code: str
    text: Text

    @property
    def reason(self) -> str:
        """In English."""
        return str(self.text)


def refusal(step: str, review: Review) -> Refusal | None:
    """Why `step` cannot be taken now (None: it can)."""
    if step not in STEPS[review.state]:
        return Refusal(
            "illegal_transition",
            Text(
                _("Cannot %(doing)s: the assessment is %(state)s."),
                {"doing": _DOING[step], "state": review.state},
                translated=("doing",),
            ),
        )
    if review.undetermined and step != REJECT:
        return Refusal(
            "undetermined",
            Text(
                _(
                    "Cannot %(doing)s: the household's class depends on facts its survey did "
                    "not record; survey it again (this assessment can only be rejected)."
                ),
                {"doing": _DOING[step]},
                translated=("doing",),
            ),
        )
    if step == APPROVE:
        if review.posted_to is None:
            return Refusal("posting_in_progress", Text(_("No posting period is recorded.")))
        if review.today <= review.posted_to:
            return Refusal(
                "posting_in_progress",
                Text(
                    _(
                        "The result is publicly posted until %(until)s; it can be approved "
                        "from %(from)s."
                    ),
                    {"until": review.posted_to, "from": review.posted_to + timedelta(days=1)},
                ),
            )
        if review.open_complaints:
            return Refusal(
                "open_complaints", Text(_("Open complaints must be handled before approval."))
            )
    return None


def allowed(review: Review) -> list[str]:
    """The steps that would be accepted now."""
    return [step for step in STEPS[review.state] if refusal(step, review) is None]


def working_days(start: date, end: date, holidays: Collection[date] = ()) -> int:
    """Monday–Friday days from `start` to `end`, both included, public holidays excepted."""
    days = (end - start).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    count = weeks * 5 + sum(1 for i in range(rest) if (start.weekday() + i) % 7 < 5)
    return count - sum(1 for h in set(holidays) if start <= h <= end and h.weekday() < 5)


def posting_problem(
    posted_from: date, posted_to: date, *, minimum: int, holidays: Collection[date] = ()
) -> Text | None:
    """Why a posting period is too short (None: it is long enough)."""
    if posted_to < posted_from:
        return Text(_("The posting period ends before it starts."))
    days = working_days(posted_from, posted_to, holidays)
    if days < minimum:
        return Text(
            _(
                "A result is posted for at least %(minimum)s working days (Monday–Friday, "
                "public holidays excepted); %(start)s to %(end)s has %(days)s."
            ),
            {"minimum": minimum, "start": posted_from, "end": posted_to, "days": days},
        )
    return None
