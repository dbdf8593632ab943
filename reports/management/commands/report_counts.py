from django.core.management.base import BaseCommand, CommandError

from reports import counts


class Command(BaseCommand):
    help = (
        "The maintained household counts of the reports (PostgreSQL): compact them (one row "
        "per key; the worker does it daily), --rebuild them from the register (household "
        "writes wait meanwhile), or --check them against the register (exit 1 on a difference)."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rebuild", action="store_true", help="Recompute from the register.")
        action.add_argument("--check", action="store_true", help="Compare with the register.")

    def handle(self, *args, rebuild: bool, check: bool, **options):
        if not counts.maintained():
            self.stdout.write("not PostgreSQL: no maintained counts (reports count the register)")
            return
        if rebuild:
            self.stdout.write(f"rebuilt: {counts.rebuild():,} keys")
        elif check:
            wrong = counts.differences()
            for row in wrong:
                self.stdout.write(f"differs: {row}")
            if wrong:
                raise CommandError(f"{len(wrong)} key(s) differ from the register")
            self.stdout.write("the counts match the register")
        else:
            before, after = counts.compact()
            self.stdout.write(f"compacted: {before:,} rows into {after:,}")
