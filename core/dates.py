"""Dates the system accepts: none before 1900 (`MIN_DATE`). One rule for every door: the API's
date fields and query parameters (core.api.fields), the services behind the API and the admin
(e.g. households.services for members' dates), the registry sync's records."""

from __future__ import annotations

from datetime import date

MIN_DATE = date(1900, 1, 1)
