import pytest


@pytest.fixture(autouse=True)
def _english_by_default():
    """Overrides tests/conftest.py's fixture of the same name: here a request that names no
    language gets the product's default (Vietnamese), as it would in production, and code
    called directly runs with no language activated (LANGUAGE_CODE applies)."""
    yield
