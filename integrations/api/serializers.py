"""The registry sync's request and report documents (integrations.api.sync)."""

from __future__ import annotations

from rest_framework import serializers

from households.choices import Relationship, Sex
from integrations import sync


class RegistryMemberSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64, help_text="The registry's person ID.")
    full_name = serializers.CharField(max_length=150)
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    ethnicity = serializers.CharField(help_text="Ethnic group code, e.g. `01` (Kinh).")
    relationship = serializers.ChoiceField(choices=Relationship.choices)
    citizen_id = serializers.CharField(
        allow_null=True, required=False, help_text="12-digit citizen ID, or null."
    )


class RegistryRecordSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64, help_text="The registry's household ID.")
    commune = serializers.CharField(help_text="Commune-level unit code (5 digits).")
    address = serializers.CharField(max_length=255)
    members = RegistryMemberSerializer(many=True, help_text="Every resident, the head included.")


class RegistryBatchSerializer(serializers.Serializer):
    records = RegistryRecordSerializer(many=True, help_text="The records, in the registry's order.")


class RegistryUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="JSON array of records, NDJSON (one record per line) or CSV (one row per "
        "member: household_external_id, commune, address, member_external_id, full_name, "
        "date_of_birth, sex, ethnicity, relationship, citizen_id; a household's rows together)."
    )
    format = serializers.ChoiceField(
        choices=sync.FORMATS,
        required=False,
        help_text="Default: from the file's extension (.json, .ndjson/.jsonl, .csv) or type.",
    )


class RegistrySyncParamsSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="Validate and report what would change; write nothing."
    )


class SyncFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path, e.g. `members.1.citizen_id`.")
    code = serializers.CharField()
    reason = serializers.CharField()


class SyncConflictSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path of the registry-owned field.")
    local = serializers.JSONField(help_text="Our value before the sync (edited locally).")
    registry = serializers.JSONField(help_text="The registry's value, now applied.")
    previous_registry = serializers.JSONField(
        allow_null=True, help_text="What the registry had sent before (null: never)."
    )


class SyncOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the record in the input (from 0).")
    external_id = serializers.CharField(allow_null=True)
    outcome = serializers.CharField(help_text="`created`, `updated`, `unchanged` or `rejected`.")
    household = serializers.UUIDField(allow_null=True)
    code = serializers.CharField(allow_null=True)
    errors = SyncFieldErrorSerializer(many=True, help_text="Why the record was rejected.")
    conflicts = SyncConflictSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class SyncCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class SyncReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = SyncCountsSerializer()
    records = SyncOutcomeSerializer(many=True)
