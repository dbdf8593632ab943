from django.core.management.base import BaseCommand

from core import jobs


class Command(BaseCommand):
    help = (
        "Queue the periodic jobs that are due (supervision scan, daily case work, the "
        "maintained counts' compaction, DCI redeliveries and notifications), each kind at most "
        "once per its interval and never while one is waiting or running. The polling worker "
        "does this every minute by itself; with Celery, run this from cron every minute."
    )

    def handle(self, *args, **options):
        queued = jobs.enqueue_periodic()
        kinds = ", ".join(job.kind for job in queued) or "none due"
        self.stdout.write(f"queued {len(queued)} periodic job(s): {kinds}")
