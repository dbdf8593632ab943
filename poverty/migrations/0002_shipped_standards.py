from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    from poverty.seed import load_standards

    load_standards(
        apps.get_model("poverty", "PovertyStandard"),
        apps.get_model("poverty", "Indicator"),
        timezone.now(),
    )


def unload(apps, schema_editor):
    from poverty.seed import STANDARDS

    # Raw deletes: the collector of a historical model trips over the related models of the
    # other apps' states (Django's "Must be PovertyStandard instance").
    standards = apps.get_model("poverty", "PovertyStandard")
    shipped = standards.objects.filter(code__in=[s["code"] for s in STANDARDS], revision=1)
    ids = list(shipped.values_list("pk", flat=True))
    indicators = apps.get_model("poverty", "Indicator").objects.filter(standard_id__in=ids)
    indicators._raw_delete(schema_editor.connection.alias)
    shipped._raw_delete(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("poverty", "0001_initial"), ("geo", "0002_reference_data")]
    operations = [migrations.RunPython(load, unload)]
