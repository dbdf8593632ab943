from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dci import signatures


class Command(BaseCommand):
    help = (
        "Print the public key (PEM) and key id that DCI partners verify the registry's "
        "messages with. --create makes the private key at DCI_SIGNING_KEY_FILE when there is "
        "none (an existing key is never replaced: to rotate, move it away first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--create", action="store_true", help="Create the key if missing.")

    def handle(self, *args, create: bool = False, **options):
        path = settings.DCI_SIGNING_KEY_FILE
        if not path:
            raise CommandError("DCI_SIGNING_KEY_FILE is empty: the registry does not sign.")
        key = signatures.signing_key()
        if key is None:
            if not create:
                raise CommandError(f"No key at {path}; --create makes one.")
            key = signatures.create_signing_key(path)
            self.stderr.write(f"Created the DCI signing key at {path}.")
        self.stdout.write(f"kidId: {key.kid}\n")
        self.stdout.write(key.public_pem())
