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


# ---------------------------------------------------------------------------- the document


def _json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a null alternative, and keys
    JSON Schema does not know are dropped."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: _json_schema(value)
        for key, value in node.items()
        if key not in ("nullable", "readOnly", "writeOnly", "example", "discriminator")
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _examples(document):
    """(where, example, schema) of every example in the document."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(status, r) for status, r in operation["responses"].items()]
            for label, body in bodies:
                for media_type, content in body.get("content", {}).items():
                    schema = content.get("schema", {})
                    if "example" in content:
                        yield f"{where} {label} {media_type}", content["example"], schema
                    for name, example in content.get("examples", {}).items():
                        yield f"{where} {label} {media_type} {name}", example["value"], schema


def test_every_example_in_the_document_is_valid_against_its_schema():
    import jsonschema

    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    root = {"components": _json_schema(document["components"])}
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    found, invalid = 0, []
    for where, example, schema in _examples(document):
        found += 1
        validator = jsonschema.Draft202012Validator(
            {**root, **_json_schema(schema)}, format_checker=checker
        )
        invalid += [f"{where}: {e.json_path}: {e.message}" for e in validator.iter_errors(example)]
    assert found > 100  # request examples of the main creates and steps, a problem per status
    assert not invalid, "\n".join(invalid)


def test_every_operation_has_a_tag_summary_roles_and_area_rule():
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    described = {tag["name"] for tag in document["tags"] if tag["description"]}
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            description = operation.get("description", "")
            if not (
                set(operation["tags"]) <= described
                and operation.get("summary")
                and "**Roles:**" in description
                and "**Area:**" in description
            ):
                missing.append(f"{method.upper()} {path}")
    assert not missing
