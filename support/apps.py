from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support and budgets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import feed, jobs
        from households.selectors import household_area
        from support.services.assignments import BULK_PROPOSE

        feed.follow(
            "support.assignment", "assignment", area_of=lambda a: household_area(a.household_id)
        )
        feed.follow(
            "support.disbursement",
            "disbursement",
            area_of=lambda d: household_area(d.assignment.household_id),
        )
        jobs.register(BULK_PROPOSE, "support.jobs.run_bulk_propose")
