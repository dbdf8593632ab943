from django.core.management.base import BaseCommand

from demo import poverty as demo


class Command(BaseCommand):
    help = (
        "Synthetic surveys for active households without one (bulk-loaded; no history "
        "records). With --assess, also assess them and approve a share of the poor and "
        "near-poor results (demo decisions) so households have official statuses."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument("--assess", action="store_true")

    def handle(self, *args, seed: int, limit: int | None, assess: bool, **options):
        count, seconds = demo.timed(
            lambda: demo.generate_surveys(seed=seed, limit=limit, progress=self.stdout.write)
        )
        self.stdout.write(f"Added {count:,} surveys in {seconds:.1f} s.")
        if assess:
            (assessments, statuses), seconds = demo.timed(
                lambda: demo.assess_and_approve(seed=seed)
            )
            self.stdout.write(
                f"Added {assessments:,} assessments and {statuses:,} official "
                f"statuses in {seconds:.1f} s."
            )
