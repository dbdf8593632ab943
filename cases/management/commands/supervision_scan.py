from django.core.management.base import BaseCommand

from cases.supervision.services import scan


class Command(BaseCommand):
    help = (
        "Run the supervision rules now and record their findings (the worker runs this as a "
        "job every SUPERVISION_SCAN_HOURS; with Celery, run it from cron)."
    )

    def handle(self, *args, **options):
        result = scan()
        self.stdout.write(
            f"{len(result['found'])} found, {len(result['new'])} new, "
            f"{len(result['reopened'])} reopened."
        )
