"""What-if runs record the rights they were made under: a run's summary and changes are read
only while its requester's role and area are those (poverty.selectors.whatif_runs_readable).
Runs from before have none recorded (empty): refused to their requesters, read by national
administrators only; run them again."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('poverty', '0006_status_indicator_columns'),
    ]

    operations = [
        migrations.AddField(
            model_name='whatifrun',
            name='access',
            field=models.CharField(blank=True, default='', help_text="SHA-256 of the requester's role and area the run was made under: its summary and changes are read only under the same rights (empty: a run from before they were recorded, read by national administrators only).", max_length=64, verbose_name='access'),
        ),
    ]
