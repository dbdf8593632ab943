from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = "Administrative units and villages"
    default_auto_field = "django.db.models.BigAutoField"
