from django.core.management.base import BaseCommand

from core import files
from core.api import idempotency


class Command(BaseCommand):
    help = (
        "Remove job files (uploads, sync reports, exports) FILE_RETENTION_HOURS after their "
        "job finished, files no job refers to once an hour old, and the responses kept for "
        "Idempotency-Key retries once IDEMPOTENCY_KEY_HOURS old. The worker runs this every "
        "hour too."
    )

    def handle(self, *args, **options):
        cleaned = files.cleanup()
        keys = idempotency.purge()
        self.stdout.write(
            f"removed {cleaned.expired} expired file(s) and {cleaned.orphans} orphan(s), "
            f"and {keys} expired idempotency key(s)"
        )
