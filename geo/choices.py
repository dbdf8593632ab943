from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    WARD = "phuong", _("Phường (urban ward)")
    COMMUNE = "xa", _("Xã (rural commune)")
    SPECIAL_ZONE = "dac_khu", _("Đặc khu (special zone)")


class VillageKind(models.TextChoices):
    THON = "thon", _("Thôn")
    BAN = "ban", _("Bản")
    KHU_PHO = "khu_pho", _("Khu phố")
    TO_DAN_PHO = "to_dan_pho", _("Tổ dân phố")
    OTHER = "other", _("Other")
