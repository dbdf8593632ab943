"""rest_framework.authtoken is gone: drop its table of plaintext keys where an older database
still has it. Those keys no longer authenticate; clients get new tokens (accounts.ApiToken).
Reversing leaves it dropped (nothing reads it any more)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_api_tokens")]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop),
    ]
