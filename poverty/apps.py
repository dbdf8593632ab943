from django.apps import AppConfig


class PovertyConfig(AppConfig):
    name = "poverty"
    verbose_name = "Poverty assessment"
    default_auto_field = "django.db.models.BigAutoField"
