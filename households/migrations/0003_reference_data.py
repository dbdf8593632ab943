from django.db import migrations


def load(apps, schema_editor):
    from households.reference import load_reference_data

    load_reference_data(apps.get_model("households", "Province"),
                        apps.get_model("households", "Commune"),
                        apps.get_model("households", "EthnicGroup"))


def unload(apps, schema_editor):
    apps.get_model("households", "Commune").objects.all().delete()
    apps.get_model("households", "Province").objects.all().delete()
    apps.get_model("households", "EthnicGroup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("households", "0002_search_indexes")]
    operations = [migrations.RunPython(load, unload)]
