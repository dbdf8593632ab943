from django.db import models


class UnitKind(models.TextChoices):
    WARD = "phuong", "Phường (urban ward)"
    COMMUNE = "xa", "Xã (rural commune)"
    SPECIAL_ZONE = "dac_khu", "Đặc khu (special zone)"


class VillageKind(models.TextChoices):
    THON = "thon", "Thôn"
    BAN = "ban", "Bản"
    KHU_PHO = "khu_pho", "Khu phố"
    TO_DAN_PHO = "to_dan_pho", "Tổ dân phố"
    OTHER = "other", "Other"
