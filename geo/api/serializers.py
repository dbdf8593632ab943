from rest_framework import serializers

from core.api.fields import ModelSerializer
from geo.models import Commune, EthnicGroup, Province, Village


class ProvinceSerializer(ModelSerializer):
    class Meta:
        model = Province
        fields = ["code", "name", "codename"]


class CommuneSerializer(ModelSerializer):
    class Meta:
        model = Commune
        fields = ["code", "name", "codename", "kind", "is_urban", "is_urban_since", "province"]


class EthnicGroupSerializer(ModelSerializer):
    is_minority = serializers.BooleanField(read_only=True)

    class Meta:
        model = EthnicGroup
        fields = ["code", "name", "is_minority"]


class VillageSerializer(ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="code", queryset=Commune.objects.all())

    class Meta:
        model = Village
        fields = ["id", "commune", "name", "kind", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
