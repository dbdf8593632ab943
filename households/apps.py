from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("Household registry")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import feed, jobs
        from households.selectors import household_area

        def own_area(h):
            return feed.Area(h.commune_id, h.village_id)

        def members_area(m):
            return household_area(m.household_id)

        # Both move: the previous history record says where they were before. A household
        # that moves takes its members along: each one's move is in the feed too.
        feed.follow(
            "households.household",
            "household",
            area_of=own_area,
            moved_from=own_area,
            carries=lambda h: h.members.order_by("pk"),
        )
        feed.follow("households.member", "member", area_of=members_area, moved_from=members_area)
        jobs.register("export_households", "households.exports.run_job")
