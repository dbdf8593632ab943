"""The migrations are committed and reversible: the models need no migration that is not in
the repository, and every operation of the project's migrations can be undone.

(Undoing them all and applying them again, on PostgreSQL: `manage.py migrate <app> zero`
for each app from the last to the first, then `manage.py migrate`. It takes about two
minutes, so it is not part of the suite; docs/architecture.md, "Migrations".)"""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

PROJECT_APPS = {
    config.label
    for config in apps.get_app_configs()
    if config.path.startswith(str(settings.BASE_DIR)) and ".venv" not in config.path
}


@pytest.mark.django_db
def test_the_models_need_no_migration_that_is_not_committed():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"Models changed without a migration:\n{out.getvalue()}")


def test_every_operation_of_the_project_migrations_can_be_undone():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    irreversible = [
        f"{app}.{name}: {operation.describe()}"
        for (app, name), migration in loader.disk_migrations.items()
        if app in PROJECT_APPS
        for operation in migration.operations
        if not operation.reversible
    ]
    assert {"households", "poverty", "core", "geo"} <= PROJECT_APPS
    assert irreversible == []
