"""An assessment read through the API names the exact revision of the standard it used, and the
schema integrators generate clients from says an indicator's `deprived` may be null (unknown)."""

from pathlib import Path

import yaml
from django.conf import settings


def test_the_schema_says_an_unknown_indicator_is_null():
    schema = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())
    deprived = schema["components"]["schemas"]["IndicatorResult"]["properties"]["deprived"]
    # Before: "type: boolean", not nullable: a generated client reads unknown as false.
    assert deprived.get("nullable") is True
