"""`core.api.fields.ModelSerializer.to_representation` reads plain columns straight from the
instance: every list and detail answers exactly what DRF's own loop answers."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework import renderers as drf_renderers
from rest_framework import serializers

from core.api import fields, renderers

pytestmark = pytest.mark.django_db

URLS = [
    "/api/v1/households/",
    "/api/v1/members/",
    "/api/v1/surveys/",
    "/api/v1/assessments/",
    "/api/v1/relapse-watchlist/",
    "/api/v1/communes/?province=22",
    "/api/v1/villages/",
    "/api/v1/poverty-standards/",
    "/api/v1/duplicates/",
]


@pytest.fixture
def register(db):
    call_command("generate_demo_data", households=30, seed=3, verbosity=0)
    call_command("generate_demo_surveys", assess=True, verbosity=0)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_lists_and_details_answer_what_drfs_own_loop_answers(register, api, monkeypatch, language):
    api.credentials(HTTP_ACCEPT_LANGUAGE=language, **api._credentials)
    urls = list(URLS)
    for url in URLS[:4]:
        first = api.get(url, {"page_size": 1}).json()["results"][0]
        urls.append(f"{url}{first['id']}/")
    fast = {url: api.get(url).content for url in urls}
    monkeypatch.setattr(
        fields.ModelSerializer, "to_representation", serializers.ModelSerializer.to_representation
    )
    drf = {url: api.get(url).content for url in urls}
    for url in urls:
        assert fast[url] == drf[url], url
    assert all(b'"results":[]' not in fast[url] for url in URLS[:4])


def test_json_bodies_are_the_bytes_drfs_renderer_writes(register, api, monkeypatch):
    """core.api.renderers writes with orjson: lists, details, a report and problem documents
    are byte for byte what DRF's JSONRenderer writes; an indented body is DRF's own."""
    first = api.get("/api/v1/households/", {"page_size": 1}).json()["results"][0]
    urls = [
        *URLS,
        f"/api/v1/households/{first['id']}/",
        "/api/v1/reports/poverty-rates/?group_by=commune",
        "/api/v1/households/?commune=x&unknown=1",  # a 400 problem document
        f"/api/v1/households/{first['id'][:-1]}0/",  # a 404
    ]
    ours = {url: api.get(url) for url in urls}
    monkeypatch.setattr(
        renderers.JSONRenderer, "render", drf_renderers.JSONRenderer.render, raising=True
    )
    for url in urls:
        theirs = api.get(url)
        assert ours[url].status_code == theirs.status_code, url
        assert ours[url].content == theirs.content, url
        assert ours[url]["Content-Type"] == theirs["Content-Type"], url
    assert {r.status_code for r in ours.values()} >= {200, 400, 404}
    indented = api.get(urls[-4], HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b'{\n  "id": ')
