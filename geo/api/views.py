from rest_framework import mixins, viewsets

from core.access import Perm
from core.api.idempotency import IdempotentCreateMixin
from core.api.views import AreaScopedMixin, AuditedViewSetMixin, ServiceWritesMixin
from geo import services
from geo.filtersets import CommuneFilter, VillageFilter
from geo.models import Commune, EthnicGroup, Province, Village

from . import serializers as s


class ReferenceViewSet(AuditedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Reference data: readable by every authenticated user with a role."""

    area_rule = "Reference data: the whole country, the same for every caller."


class ProvinceViewSet(ReferenceViewSet):
    """Provinces and centrally-run cities (the 34 units after the 2025 reorganisation), by
    their two-digit code."""

    queryset = Province.objects.all()
    serializer_class = s.ProvinceSerializer
    ordering = "code"
    filterset_fields = ["code"]


class CommuneViewSet(ReferenceViewSet):
    """Communes, wards and special zones (xã, phường, đặc khu) by their five-digit code, with
    their province and whether they are urban."""

    queryset = Commune.objects.all()
    serializer_class = s.CommuneSerializer
    filterset_class = CommuneFilter
    ordering = "code"


class EthnicGroupViewSet(ReferenceViewSet):
    """The 54 ethnic groups of Vietnam by their two-digit code (the General Statistics
    Office's list: `01` Kinh ... `54`), with whether they count as an ethnic minority."""

    queryset = EthnicGroup.objects.all()
    serializer_class = s.EthnicGroupSerializer
    ordering = "code"
    filterset_fields = ["code"]


class VillageViewSet(
    IdempotentCreateMixin,
    ServiceWritesMixin,
    AreaScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Villages and residential groups (thôn, bản, khu phố, tổ dân phố) of the communes in
    your area; a name is unique within its commune."""

    serializer_class = s.VillageSerializer
    filterset_class = VillageFilter
    ordering = "id"
    area_paths = ("commune", "pk")
    write_perm = Perm.VILLAGES_MANAGE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Village.objects.select_related("commune")

    save_service = staticmethod(services.village_save)
    instance_kwarg = "village"
