"""The maintained household counts, their PostgreSQL triggers and their first fill."""

import django.db.models.deletion
from django.db import migrations, models

from reports import counts


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(counts.INSTALL)
        schema_editor.execute(
            f"INSERT INTO {counts.COUNTS} ({counts.KEY}, n) "
            f"SELECT {counts.KEY}, count(*) FROM {counts.HOUSEHOLDS} GROUP BY {counts.KEY}"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(counts.UNINSTALL)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("geo", "0003_labels"),
        ("households", "0004_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="HouseholdCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(max_length=12, verbose_name="status")),
                ("status_date", models.DateField(null=True, verbose_name="status date")),
                ("n", models.IntegerField(verbose_name="households")),
                ("commune", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="geo.commune", verbose_name="commune")),
                ("village", models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="geo.village", verbose_name="village")),
            ],
            options={
                "verbose_name": "household count",
                "verbose_name_plural": "household counts",
                "default_permissions": (),
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
