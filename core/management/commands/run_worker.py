import logging
import signal

from django.core.management.base import BaseCommand

from core import jobs


class Command(BaseCommand):
    help = (
        "The background-job worker without a broker: polls the Job table, runs one job at a "
        "time (claimed under a lease: several workers may run side by side), removes expired "
        "files every hour. SIGTERM or SIGINT: stops after the record in hand; a job in "
        "progress goes back to the queue at its last checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between looks.")

    def handle(self, *args, poll: float, **options):
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: jobs.request_stop())
        logging.getLogger(__name__).info("worker: waiting for jobs")
        runs = jobs.work(poll=poll)
        self.stdout.write(f"worker stopped after {runs} job run(s)")
