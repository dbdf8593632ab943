from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs

        jobs.register("report_counts_compact", "reports.jobs.run_compact")
        jobs.register_periodic("report_counts_compact")  # once a day
