from __future__ import annotations

from rest_framework import serializers

from core.api.fields import (
    CharField,
    DateField,
    IntegerField,
    ModelSerializer,
    PrimaryKeyRelatedField,
)
from core.api.relations import InAreaRelatedField
from core.api.serializers import PersonalDataMixin
from support.models import Assignment, SupportPackage

from ..choices import FollowUpKind
from ..models import Case, FollowUp, PlanGoal
from ..selectors import OVERDUE_GROUPS, PROGRESS_GROUPS


def user_id_field(**kwargs) -> IntegerField:
    return IntegerField(min_value=1, **kwargs)


class PlanGoalSerializer(PersonalDataMixin, ModelSerializer):
    package = PrimaryKeyRelatedField(
        queryset=SupportPackage.objects.all(), required=False, allow_null=True
    )
    assignment = InAreaRelatedField(
        queryset=Assignment.objects.all(),
        area_paths=("household__commune", "household__village"),
        required=False,
        allow_null=True,
        help_text="An assignment of this household's (its package is the goal's).",
    )

    class Meta:
        model = PlanGoal
        fields = [
            "id",
            "case",
            "indicator",
            "text",
            "due_date",
            "package",
            "assignment",
            "commitment",
            "status",
            "progress",
            "progress_note",
            "version",
        ]
        read_only_fields = ["id", "case", "version"]
        validators = []  # one goal per indicator: the service answers 409
        extra_kwargs = {
            "text": {"help_text": "What is to be achieved; an income goal states the gap."}
        }


class PlanGoalUpdateSerializer(PlanGoalSerializer):
    class Meta(PlanGoalSerializer.Meta):
        read_only_fields = ["id", "case", "version", "indicator"]


class FollowUpSerializer(PersonalDataMixin, ModelSerializer):
    household = serializers.UUIDField(source="case.household_id", read_only=True)
    household_code = CharField(source="case.household.code", read_only=True)
    commune = CharField(source="case.household.commune_id", read_only=True)
    cadre_username = CharField(source="cadre.username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "case",
            "household",
            "household_code",
            "commune",
            "cadre",
            "cadre_username",
            "kind",
            "scheduled_on",
            "done_on",
            "findings",
            "next_step",
            "client_id",
            "overdue",
            "version",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        """Scheduled before today and not done."""
        today = self.context.get("today")
        return obj.done_on is None and today is not None and obj.scheduled_on < today


class CaseSerializer(PersonalDataMixin, ModelSerializer):
    household_code = CharField(source="household.code", read_only=True)
    commune = CharField(source="household.commune_id", read_only=True)
    village = serializers.UUIDField(source="household.village_id", read_only=True, allow_null=True)
    standard_code = CharField(source="standard.code", read_only=True)
    cadre_username = CharField(source="cadre.username", read_only=True, allow_null=True)
    overdue_follow_ups = IntegerField(
        read_only=True, help_text="Follow-ups scheduled before today and not done."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "household",
            "household_code",
            "commune",
            "village",
            "standard_code",
            "classification",
            "state",
            "cadre",
            "cadre_username",
            "opened_on",
            "escaped_on",
            "monitoring_until",
            "closed_on",
            "reopened_count",
            "target_date",
            "overdue_follow_ups",
            "version",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    goals = PlanGoalSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "commitments", "goals", "follow_ups"]
        read_only_fields = fields


# ---------------------------------------------------------------------------- request bodies


class _VersionedSerializer(serializers.Serializer):
    version = IntegerField(
        required=False, min_value=1, help_text="Version the change is based on (or If-Match)."
    )


class CaseUpdateSerializer(_VersionedSerializer):
    target_date = DateField(required=False, allow_null=True)
    commitments = CharField(required=False, allow_blank=True, max_length=4000)


class AssignCadreSerializer(_VersionedSerializer):
    cadre = user_id_field(allow_null=True, help_text="The cadre's user id; null: nobody.")


class ScheduleSerializer(serializers.Serializer):
    scheduled_on = DateField()
    kind = serializers.ChoiceField(choices=FollowUpKind.choices, default=FollowUpKind.VISIT)
    cadre = user_id_field(required=False, allow_null=True, help_text="Default: the case's cadre.")
    next_step = CharField(required=False, allow_blank=True, default="", max_length=500)


class RecordSerializer(_VersionedSerializer):
    done_on = DateField(not_future=True)
    findings = CharField(allow_blank=True, max_length=4000)
    next_step = CharField(required=False, allow_blank=True, default="", max_length=500)
    next_visit_on = DateField(
        required=False, allow_null=True, help_text="Schedules the next follow-up."
    )


class RecordedSerializer(serializers.Serializer):
    follow_up = FollowUpSerializer()
    next = FollowUpSerializer(allow_null=True, help_text="The follow-up it scheduled, if any.")


# ---------------------------------------------------------------------------- reports


class OverdueParams(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=list(OVERDUE_GROUPS), default="cadre")


class OverdueRowSerializer(serializers.Serializer):
    group_by = CharField()
    group = CharField(allow_null=True, help_text="Cadre's user id or commune code; null: none.")
    overdue = IntegerField(help_text="Follow-ups scheduled before today and not done.")
    cases = IntegerField()
    oldest_scheduled_on = serializers.DateField()


class ProgressParams(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=list(PROGRESS_GROUPS), default="commune")


class ProgressRowSerializer(serializers.Serializer):
    group_by = CharField()
    group = CharField(
        allow_null=True, help_text="Village id, commune code or cadre's user id; null: none."
    )
    on_track = IntegerField(help_text="Active, target date and goals' due dates not passed.")
    late = IntegerField(
        help_text="Active, with the target date or a goal's due date passed (goal not achieved)."
    )
    escaped = IntegerField(help_text="In post-escape monitoring.")
    relapsed = IntegerField(help_text="Reopened on relapse and active (also on track or late).")
    closed = IntegerField()
