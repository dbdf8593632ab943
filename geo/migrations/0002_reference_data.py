from django.db import migrations


def load(apps, schema_editor):
    from geo.reference import load_reference_data

    load_reference_data(
        apps.get_model("geo", "Province"),
        apps.get_model("geo", "Commune"),
        apps.get_model("geo", "EthnicGroup"),
    )


def unload(apps, schema_editor):
    apps.get_model("geo", "Commune").objects.all().delete()
    apps.get_model("geo", "Province").objects.all().delete()
    apps.get_model("geo", "EthnicGroup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
