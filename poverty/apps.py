from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PovertyConfig(AppConfig):
    name = "poverty"
    verbose_name = _("Poverty assessment")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import feed, jobs
        from households.selectors import household_area

        for label, entity in (
            ("poverty.survey", "survey"),
            ("poverty.assessment", "assessment"),
            ("poverty.officialstatus", "official_status"),
        ):
            feed.follow(label, entity, area_of=lambda o: household_area(o.household_id))
        jobs.register("what_if", "poverty.jobs.run_what_if")
