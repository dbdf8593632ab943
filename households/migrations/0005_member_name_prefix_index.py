"""The (folded name, birth date) index of members in the pattern operator class: it still
serves the possible-duplicate lookups (equality), and now also search's "the name starts with
the query" (`LIKE 'query%'`), which a b-tree in the database's collation (C.UTF-8 here, or
any non-C collation) cannot serve. Rebuilt in a few seconds for 1.5 M members."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0004_labels'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='member',
            name='households__name_fo_875b20_idx',
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['name_folded', 'date_of_birth'], name='member_name_birth', opclasses=['varchar_pattern_ops', 'date_ops']),
        ),
    ]
