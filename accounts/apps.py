from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts, roles and API tokens")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (connects the grant's change stamp)
        from accounts.roles import ROLE_PERMISSIONS, resolve_access
        from core.access import register_resolver, register_roles

        register_resolver(resolve_access)
        register_roles(ROLE_PERMISSIONS)
