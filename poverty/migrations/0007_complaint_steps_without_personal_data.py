from django.db import migrations


def scrub(apps, schema_editor):
    """Complaint steps copied who complained and what they said; both live on the complaint
    (personal data, masked there). The step keeps only which complaint it was."""
    Step = apps.get_model("poverty", "AssessmentStep")
    for step in Step.objects.filter(action="complaint"):
        data = {k: v for k, v in step.data.items() if k != "lodged_by"}
        Step.objects.filter(pk=step.pk).update(data=data, notes="")


class Migration(migrations.Migration):
    dependencies = [
        ("poverty", "0006_time_ordered_ids"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
