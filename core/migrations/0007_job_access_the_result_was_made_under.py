"""Jobs record the rights their result was made under (core.jobs.require_same_rights): a
job's file, report and counts are handed out only while its requester's role and area are
those. Jobs from before have none recorded (empty), which is never the same: their results are
refused to their requesters (national administrators still read them); run them again."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_feed_numbered_at_commit'),
    ]

    operations = [
        migrations.AddField(
            model_name='job',
            name='access',
            field=models.CharField(blank=True, default='', help_text="SHA-256 of the requester's role and area the job's result was made under: it is handed out only under the same rights (empty: a job from before they were recorded, never handed out).", max_length=64, verbose_name='access'),
        ),
    ]
