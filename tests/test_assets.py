"""The app's own CSS and JavaScript: a fixed list of names, versioned, cached by version."""

import json
import re
from collections.abc import Iterator

import pytest
from chalice.test import Client

import app as picset_app
from chalicelib import assets


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("../app.py", id="parent-folder"),
        pytest.param("..%2Fapp.py", id="encoded-parent"),
        pytest.param("templates", id="a-folder"),
        pytest.param("picset.css.map", id="not-on-the-list"),
        pytest.param("", id="empty"),
    ],
)
def test_only_listed_names_are_served(name):
    assert assets.load(name) is None


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in assets.ASSETS])
def test_every_listed_asset_exists_and_is_versioned(name):
    found = assets.load(name)
    assert found is not None and found.body
    assert assets.path(name) == f"assets/{name}?v={found.version}"


@pytest.mark.parametrize(
    ("requested", "cache_control"),
    [
        pytest.param("current", assets.IMMUTABLE, id="current-version-is-immutable"),
        pytest.param("0123456789ab", assets.REVALIDATE, id="old-version-revalidates"),
        pytest.param(None, assets.REVALIDATE, id="no-version-revalidates"),
    ],
)
def test_cache_control_follows_the_version(requested, cache_control):
    found = assets.load("picset.css")
    assert found is not None
    version = found.version if requested == "current" else requested
    assert found.cache_control(version) == cache_control


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in assets.ASSETS])
def test_no_asset_reaches_for_another_host(name):
    found = assets.load(name)
    assert found is not None
    assert re.search(r"https?://|url\(\s*['\"]?//|@import", found.body) is None


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(picset_app.app) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        pytest.param("picset.css", "text/css; charset=utf-8", id="css"),
        pytest.param("upload.js", "text/javascript; charset=utf-8", id="upload-js"),
        pytest.param("picture.js", "text/javascript; charset=utf-8", id="picture-js"),
        pytest.param("session.js", "text/javascript; charset=utf-8", id="session-js"),
        pytest.param("library.js", "text/javascript; charset=utf-8", id="library-js"),
    ],
)
def test_asset_route_serves_with_type_and_caching(client, name, content_type):
    found = assets.load(name)
    assert found is not None
    response = client.http.get(f"/assets/{name}?v={found.version}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == assets.IMMUTABLE
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.body.decode() == found.body


def test_asset_route_answers_unknown_names_with_json_404(client):
    response = client.http.get("/assets/secrets.txt")
    assert response.status_code == 404
    assert json.loads(response.body)["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path", [pytest.param("/", id="upload"), pytest.param("/library", id="library")]
)
def test_pages_forbid_inline_and_foreign_scripts(client, path):
    response = client.http.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
