from rest_framework import serializers

from cases.models import Finding
from core.api.fields import CharField, IntegerField, ModelSerializer

from ..choices import RESOLVED


class FindingSerializer(ModelSerializer):
    cadre = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    evidence = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="API paths of the records that show it.",
    )
    figures = serializers.DictField(read_only=True, help_text="The figures of the reason.")

    class Meta:
        model = Finding
        fields = [
            "id",
            "rule",
            "status",
            "commune",
            "period",
            "household",
            "assignment",
            "disbursement",
            "cadre",
            "reason_en",
            "reason_vi",
            "figures",
            "evidence",
            "resolution_note",
            "resolved_by",
            "resolved_at",
            "first_seen",
            "last_seen",
            "version",
        ]
        read_only_fields = fields


class FindingResolveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in RESOLVED],
        help_text="confirmed: a real misuse, being acted on; corrected: put right; "
        "dismissed: not a misuse.",
    )
    note = CharField(max_length=2000, help_text="Why (required).")
    version = IntegerField(
        required=False, min_value=1, help_text="Version the step is based on (or If-Match)."
    )
