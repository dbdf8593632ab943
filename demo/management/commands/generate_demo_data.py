from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import households as demo


class Command(BaseCommand):
    help = (
        "Add a synthetic Quảng Ninh register: villages in the 54 communes of province 22 "
        "(created once), households with 1-7 members each (about 3.7 on average), valid "
        "unique citizen IDs, about 12% ethnic minority. Bulk-loaded (COPY on PostgreSQL) in "
        "one transaction: no django-simple-history records are written for these rows. "
        "Possible duplicates are detected afterwards. Running it again adds more households."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        size = parser.add_mutually_exclusive_group()
        size.add_argument(
            "--households",
            type=int,
            help=f"How many households to add (default {demo.DEMO_HOUSEHOLDS:,}).",
        )
        size.add_argument(
            "--small",
            action="store_true",
            help=f"The demo size, {demo.DEMO_HOUSEHOLDS:,} households (the default).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same register)."
        )
        parser.add_argument(
            "--villages-per-commune",
            type=int,
            default=demo.DEFAULT_VILLAGES_PER_COMMUNE,
            help="Villages to create in each commune when missing.",
        )

    def handle(
        self,
        *args,
        households: int | None,
        small: bool,
        seed: int,
        villages_per_commune: int,
        **options,
    ) -> None:
        count = demo.DEMO_HOUSEHOLDS if small or households is None else households
        if count < 1 or villages_per_commune < 1:
            raise CommandError("--households and --villages-per-commune must be at least 1.")
        verbose = options["verbosity"] >= 2
        try:
            result = demo.generate(
                count,
                seed=seed,
                villages_per_commune=villages_per_commune,
                progress=self.stdout.write if verbose else None,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.households:,} households and {result.members:,} members "
                f"({result.villages_created:,} new villages, {result.duplicates:,} possible "
                f"duplicates) in {result.seconds:.1f} s."
            )
        )
