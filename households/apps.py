from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "Household registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import feed, jobs
        from households.selectors import household_area

        feed.follow(
            "households.household",
            "household",
            area_of=lambda h: feed.Area(h.commune_id, h.village_id),
            moved_from=lambda h: feed.Area(h.commune_id, h.village_id),
        )
        feed.follow(
            "households.member",
            "member",
            area_of=lambda m: household_area(m.household_id),
            moved_from=lambda m: household_area(m.household_id),
        )
        jobs.register("export_households", "households.exports.run_job")
