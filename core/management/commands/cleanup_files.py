from django.core.management.base import BaseCommand

from core import files


class Command(BaseCommand):
    help = (
        "Remove job files (uploads, sync reports, exports) FILE_RETENTION_HOURS after their "
        "job finished, and files no job refers to once an hour old. The worker runs this "
        "every hour too."
    )

    def handle(self, *args, **options):
        cleaned = files.cleanup()
        self.stdout.write(
            f"removed {cleaned.expired} expired file(s) and {cleaned.orphans} orphan(s)"
        )
