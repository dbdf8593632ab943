from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "Household registry"
    default_auto_field = "django.db.models.BigAutoField"
