from datetime import date

from django.core.management.base import BaseCommand

from cases.services import run_daily


class Command(BaseCommand):
    help = (
        "Open the cases missing for poor and near-poor households, close the cases whose "
        "post-escape monitoring ended, and schedule a visit to each monitoring case on the "
        "relapse watchlist (nothing twice). The worker runs this daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="ISO date (default: today)")

    def handle(self, *args, **options):
        result = run_daily(options.get("today"))
        self.stdout.write(
            f"opened {result.opened} and closed {result.closed} case(s); scheduled "
            f"{result.visits_scheduled} watchlist visit(s)"
        )
