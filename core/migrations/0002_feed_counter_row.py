from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("core", "FeedCounter").objects.get_or_create(id=1, defaults={"value": 0})


def drop(apps, schema_editor):
    apps.get_model("core", "FeedCounter").objects.filter(id=1).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
