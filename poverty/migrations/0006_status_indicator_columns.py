"""The deciding assessment's indicator results copied onto each official status (for the
deprivation reports), filled for the statuses already recorded."""

from django.db import migrations, models

BACKFILL_POSTGRESQL = """
UPDATE poverty_officialstatus s
SET deprivation_count = a.deprivation_count,
    indicator_codes = coalesce(
        (SELECT string_agg(e ->> 'code', ',' ORDER BY n)
         FROM jsonb_array_elements(a.indicators) WITH ORDINALITY x(e, n)), ''),
    deprived_mask = coalesce(
        (SELECT sum(1::bigint << (n::int - 1))
         FROM jsonb_array_elements(a.indicators) WITH ORDINALITY x(e, n)
         WHERE e -> 'deprived' = 'true'::jsonb), 0)::bigint
FROM poverty_assessment a
WHERE a.id = s.assessment_id
"""


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKFILL_POSTGRESQL)
        return
    OfficialStatus = apps.get_model("poverty", "OfficialStatus")
    for status in OfficialStatus.objects.select_related("assessment").iterator():
        indicators = status.assessment.indicators
        status.deprivation_count = status.assessment.deprivation_count
        status.indicator_codes = ",".join(i["code"] for i in indicators)
        status.deprived_mask = sum(
            1 << n for n, i in enumerate(indicators) if i["deprived"] is True
        )
        status.save(update_fields=["deprivation_count", "indicator_codes", "deprived_mask"])


class Migration(migrations.Migration):
    dependencies = [
        ("poverty", "0005_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="officialstatus",
            name="deprivation_count",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="deprivation count"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="officialstatus",
            name="indicator_codes",
            field=models.TextField(
                default="",
                help_text="The assessment's indicator codes in its order, comma-separated.",
                verbose_name="indicator codes",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="officialstatus",
            name="deprived_mask",
            field=models.BigIntegerField(
                default=0,
                help_text=(
                    "Bit i set: deprived in the i-th of the indicator codes (an indicator "
                    "whose facts were not recorded is not a deprivation)."
                ),
                verbose_name="deprived mask",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
