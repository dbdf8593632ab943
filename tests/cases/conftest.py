from tests.poverty.conftest import family, leader  # noqa: F401  (shared fixtures)
