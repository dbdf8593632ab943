from pathlib import Path

import pytest
import yaml
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


def test_every_integer_the_api_takes_is_bounded():
    """Request bodies and query parameters: each integer documents (and so is checked
    against) its range (core.api.fields)."""
    schema = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    unbounded = []

    def walk(node, where):
        if isinstance(node, dict):
            integer = node.get("type") == "integer" and not node.get("readOnly")
            if integer and not {"minimum", "maximum"} <= node.keys():
                unbounded.append(where)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for position, value in enumerate(node):
                walk(value, f"{where}.{position}")

    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            walk(component, name)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    walk(parameter["schema"], f"{method} {path} ?{parameter['name']}")
            for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
                walk(content["schema"], f"{method} {path} {media_type}")
    assert not unbounded
