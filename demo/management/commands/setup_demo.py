from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.choices import TokenPurpose
from accounts.models import ApiToken, UserAccess
from accounts.roles import Role
from accounts.services import token_issue, token_revoke
from core.access import SYSTEM
from demo import support as support_demo
from geo.models import Commune
from households.models import Household

DEMO_PASSWORD = "demo-password-2026"
DEMO_CLIENT = "demo (setup_demo)"  # the client name of the demo tokens


class Command(BaseCommand):
    help = (
        "Demo set-up (idempotent): a synthetic Quảng Ninh register if the database has no "
        "households, a demo admin and one demo user per role, with API tokens. Keys are "
        "stored hashed, so each run revokes the previous demo tokens and prints fresh ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=2000)

    def handle(self, *args, households: int, **options):
        if not Household.objects.exists():
            call_command("generate_demo_data", households=households, stdout=self.stdout)
            call_command("generate_demo_surveys", assess=True, stdout=self.stdout)
        support_demo.load(timezone.localdate().year)
        # The register's statuses were loaded in bulk: open their households' cases.
        call_command("cases_daily", stdout=self.stdout)
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.org"},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        ward = Commune.objects.filter(province_id="22", kind="phuong").order_by("code").first()
        rows = [("admin", "superuser", "whole country")]
        for username, role, area in [
            ("province", Role.PROVINCE_OFFICER, "province"),
            ("leader", Role.COMMUNE_LEADER, "commune"),
            ("commune", Role.COMMUNE_OFFICER, "commune"),
            ("enumerator", Role.FIELD_ENUMERATOR, "commune"),
            ("auditor", Role.AUDITOR, "province"),
            ("analyst", Role.ANALYST, "province"),
        ]:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True, "email": f"{username}@example.org"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            grant, _ = UserAccess.objects.get_or_create(user=user, defaults={"role": role})
            if area == "province":
                grant.provinces.set(["22"])
                rows.append((username, role, "Quảng Ninh (22)"))
            else:
                grant.communes.set([ward])
                rows.append((username, role, f"{ward.code} {ward.name}"))
        self.stdout.write(f"Demo users (password {DEMO_PASSWORD!r}), API tokens:")
        for username, role, area in rows:
            user = User.objects.get(username=username)
            for old in ApiToken.objects.filter(
                user=user, name=DEMO_CLIENT, revoked_at__isnull=True
            ):
                token_revoke(token=old, actor=SYSTEM)
            _token, key = token_issue(
                actor=SYSTEM, user=user, name=DEMO_CLIENT, purpose=TokenPurpose.OTHER
            )
            self.stdout.write(f"  {username:<11} {role:<17} {area:<28} Token {key}")
