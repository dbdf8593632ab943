from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_yaml_matches_code_and_generates_without_warnings(tmp_path):
    generated = tmp_path / "openapi.yaml"
    # --fail-on-warn turns any drf-spectacular warning into a failure.
    call_command("spectacular", "--file", str(generated), "--fail-on-warn")
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert generated.read_text(encoding="utf-8") == committed, (
        "openapi.yaml is out of date: run `.venv/bin/python manage.py spectacular "
        "--file openapi.yaml` and commit it."
    )


@pytest.mark.django_db
def test_docs_are_served(client):
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/households/" in schema.content
