from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import feed, jobs
        from households.selectors import household_area
        from poverty.services.status import on_official_status

        from .services.lifecycle import on_official_status as case_listener

        feed.follow("cases.case", "case", area_of=lambda c: household_area(c.household_id))
        feed.follow(
            "cases.plangoal", "plan_goal", area_of=lambda g: household_area(g.case.household_id)
        )
        feed.follow(
            "cases.followup", "follow_up", area_of=lambda u: household_area(u.case.household_id)
        )
        from .supervision import wiring

        wiring.ready()
        on_official_status(case_listener)
        jobs.register("cases_daily", "cases.jobs.run_cases_daily")
        jobs.register_periodic("cases_daily")  # once each day, after Vietnam's midnight
