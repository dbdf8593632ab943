"""A survey keeps what its assessments read beyond its own answers, as it was on the survey
date: the commune's urban or rural kind (the income line), and each member's birth date and sex
(ages, working age). Before, they were read afresh from the commune and the register, so a
commune made urban, or a birth date corrected, after the survey changed what an old decision
reproduced to and what the what-if counted.

Existing surveys: the kind is taken from the survey's assessments (each stored the kind it
used), else from the commune now; birth date and sex from the register now (the values the
survey's assessments read when they were made, unless corrected since: not recoverable)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Survey = apps.get_model("poverty", "Survey")
    SurveyMember = apps.get_model("poverty", "SurveyMember")
    Assessment = apps.get_model("poverty", "Assessment")
    Commune = apps.get_model("geo", "Commune")
    Member = apps.get_model("households", "Member")
    assessed = Assessment.objects.filter(survey=OuterRef("pk")).order_by("created_at")
    Survey.objects.filter(is_urban__isnull=True).update(
        is_urban=Subquery(assessed.values("is_urban")[:1])
    )
    commune = Commune.objects.filter(households=OuterRef("household_id"))
    Survey.objects.filter(is_urban__isnull=True).update(
        is_urban=Subquery(commune.values("is_urban")[:1])
    )
    HistoricalSurvey = apps.get_model("poverty", "HistoricalSurvey")
    HistoricalSurvey.objects.filter(is_urban__isnull=True).update(
        is_urban=Subquery(Survey.objects.filter(pk=OuterRef("id")).values("is_urban")[:1])
    )
    HistoricalSurvey.objects.filter(is_urban__isnull=True).update(is_urban=False)  # none left
    member = Member.objects.filter(pk=OuterRef("member_id"))
    SurveyMember.objects.filter(date_of_birth__isnull=True).update(
        date_of_birth=Subquery(member.values("date_of_birth")[:1]),
        sex=Subquery(member.values("sex")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("poverty", "0007_whatifrun_access_the_run_was_made_under"),
        ("geo", "__first__"),
        ("households", "__first__"),
    ]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="is_urban",
            field=models.BooleanField(editable=False, null=True, verbose_name="is urban"),
        ),
        migrations.AddField(
            model_name="historicalsurvey",
            name="is_urban",
            field=models.BooleanField(editable=False, null=True, verbose_name="is urban"),
        ),
        migrations.AddField(
            model_name="surveymember",
            name="date_of_birth",
            field=models.DateField(editable=False, null=True, verbose_name="date of birth"),
        ),
        migrations.AddField(
            model_name="surveymember",
            name="sex",
            field=models.CharField(
                editable=False, max_length=6, null=True, verbose_name="sex"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="survey",
            name="is_urban",
            field=models.BooleanField(
                editable=False,
                help_text="Whether the household's commune was urban on the survey date (its "
                "income line); a later change to the commune does not change the survey's "
                "assessments.",
                verbose_name="is urban",
            ),
        ),
        migrations.AlterField(
            model_name="historicalsurvey",
            name="is_urban",
            field=models.BooleanField(
                editable=False,
                help_text="Whether the household's commune was urban on the survey date (its "
                "income line); a later change to the commune does not change the survey's "
                "assessments.",
                verbose_name="is urban",
            ),
        ),
        migrations.AlterField(
            model_name="surveymember",
            name="date_of_birth",
            field=models.DateField(editable=False, verbose_name="date of birth"),
        ),
        migrations.AlterField(
            model_name="surveymember",
            name="sex",
            field=models.CharField(
                choices=[("male", "Male"), ("female", "Female")],
                editable=False,
                max_length=6,
                verbose_name="sex",
            ),
        ),
    ]
