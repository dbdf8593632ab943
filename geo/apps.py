from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = _("Administrative units and villages")
    default_auto_field = "django.db.models.BigAutoField"
