from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import feed
        from households.selectors import household_area

        feed.follow("cases.case", "case", area_of=lambda c: household_area(c.household_id))
        feed.follow(
            "cases.plangoal", "plan_goal", area_of=lambda g: household_area(g.case.household_id)
        )
        feed.follow(
            "cases.followup", "follow_up", area_of=lambda u: household_area(u.case.household_id)
        )
        from .supervision import wiring

        wiring.ready()
