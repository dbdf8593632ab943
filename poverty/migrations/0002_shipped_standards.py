from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    from poverty.seed import load_standards

    load_standards(apps.get_model("poverty", "PovertyStandard"),
                   apps.get_model("poverty", "Indicator"), timezone.now())


def unload(apps, schema_editor):
    from poverty.seed import STANDARDS

    standards = apps.get_model("poverty", "PovertyStandard")
    standards.objects.filter(code__in=[s["code"] for s in STANDARDS], revision=1).delete()


class Migration(migrations.Migration):
    dependencies = [("poverty", "0001_initial"), ("households", "0003_reference_data")]
    operations = [migrations.RunPython(load, unload)]
