"""Eligibility use cases: standards, surveys, assessments, the review workflow, official
statuses and what-if re-assessment. Rules live in poverty.rules (pure); this is the I/O.

Every write takes the acting user (`actor`; `core.access.SYSTEM` for commands) and checks
their role and area itself, whichever door it came in by (API, admin, field upload).

One module per entity; callers import from `poverty.services`:
- `standards`: standard_create, standard_update, standard_publish, standard_new_revision,
  and the engine's view of a standard (standard_spec, applicable_standards);
- `surveys`: survey_submit, survey_check; `facts`: the engine's facts of a survey;
- `assessments`: the engine's result stored, and reproduced (assessment_reproduce);
- `rounds`: review_round_create;
- `review`: the workflow steps (assessment_record_meeting, assessment_post, complaint_lodge,
  complaint_resolve, assessment_approve, assessment_reject);
- `status`: official statuses, set by approvals;
- `whatif`: whatif_enqueue, whatif_run and the stream of latest facts it reads.
"""

from .assessments import assessment_reproduce
from .facts import age_on, household_facts, member_facts, survey_facts_for
from .review import (
    assessment_approve,
    assessment_post,
    assessment_record_meeting,
    assessment_reject,
    complaint_lodge,
    complaint_resolve,
)
from .rounds import review_round_create
from .standards import (
    applicable_standards,
    standard_create,
    standard_new_revision,
    standard_publish,
    standard_spec,
    standard_update,
)
from .surveys import (
    PLAUSIBLE_M2_PER_PERSON,
    PLAUSIBLE_MAX_INCOME_PER_PERSON_MONTH,
    survey_check,
    survey_submit,
)
from .whatif import (
    FACTS_CHUNK,
    MEMBER_ROW,
    SURVEY_ROW,
    LatestSurvey,
    latest_facts,
    latest_survey_querysets,
    whatif_enqueue,
    whatif_run,
)

__all__ = [
    "FACTS_CHUNK",
    "MEMBER_ROW",
    "PLAUSIBLE_M2_PER_PERSON",
    "PLAUSIBLE_MAX_INCOME_PER_PERSON_MONTH",
    "SURVEY_ROW",
    "LatestSurvey",
    "age_on",
    "applicable_standards",
    "assessment_approve",
    "assessment_post",
    "assessment_record_meeting",
    "assessment_reject",
    "assessment_reproduce",
    "complaint_lodge",
    "complaint_resolve",
    "household_facts",
    "latest_facts",
    "latest_survey_querysets",
    "member_facts",
    "review_round_create",
    "standard_create",
    "standard_new_revision",
    "standard_publish",
    "standard_spec",
    "standard_update",
    "survey_check",
    "survey_facts_for",
    "survey_submit",
    "whatif_enqueue",
    "whatif_run",
]
