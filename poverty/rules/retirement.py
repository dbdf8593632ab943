"""The statutory retirement schedule (Labour Code 2019 art. 169, Decree 135/2020): the end
of working age for the employment indicator."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

RETIREMENT_SCHEDULE = {  # ages in months: 723 = 60 years 3 months
    "male": {"from_year": 2021, "start": 723, "step": 3, "until": 744, "before": 720},
    "female": {"from_year": 2021, "start": 664, "step": 4, "until": 720, "before": 660},
}


def retirement_age(schedule: Mapping[str, tuple[int, ...]]) -> Callable[[str, int], int]:
    """The statutory retirement age (in months) of a person of that sex born in that month
    (month_index), under the schedule: from `from_year` the age is `start`, rising by `step`
    a year up to `until`; a person takes the age of the calendar year in which they reach it
    (Decree 135/2020, Appendix I). Who reached `before` ahead of `from_year` retired then."""

    @functools.lru_cache(maxsize=4096)
    def age_of(sex: str, birth_month: int) -> int:
        from_year, start, step, until, before = schedule["female" if sex == "female" else "male"]
        if (birth_month + before) // 12 < from_year:
            return before
        year = from_year
        while True:
            age = min(start + step * (year - from_year), until)
            if (birth_month + age) // 12 <= year:
                return age
            year += 1

    return age_of
