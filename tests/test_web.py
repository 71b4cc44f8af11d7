"""The app's own URLs: the site root, picture page URLs, and the strict check that a URL
handed to the oEmbed endpoint is exactly one of this app's picture pages."""

import pytest

from chalicelib import web

ID = "AbCdEfGhIjKlMnOpQrSt_-"
ROOT = "https://pics.example/api/"
PAGE = f"https://pics.example/api/images/{ID}"


def test_page_url_is_the_root_plus_the_image_path():
    assert web.page_url(ROOT, ID) == PAGE


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        pytest.param("https://pics.example", "https://pics.example/", id="setting-no-slash"),
        pytest.param("https://pics.example/p/", "https://pics.example/p/", id="setting-path"),
        pytest.param(None, "https://api.example/api/", id="from-the-request"),
    ],
)
def test_site_root_prefers_the_setting(configured, expected):
    headers = {"Host": "api.example", "X-Forwarded-Proto": "https"}
    context = {"path": "/api/images/x", "resourcePath": "/images/{image_id}"}
    assert web.site_root(configured, headers, context) == expected


@pytest.mark.parametrize(
    ("url", "root"),
    [
        pytest.param(PAGE, ROOT, id="exact"),
        pytest.param(f"HTTPS://PICS.EXAMPLE/api/images/{ID}", ROOT, id="host-case"),
        pytest.param(f"https://pics.example:443/api/images/{ID}", ROOT, id="default-port"),
        pytest.param(f"http://127.0.0.1:8000/images/{ID}", "http://127.0.0.1:8000/", id="local"),
        pytest.param(f"http://[::1]:8000/images/{ID}", "http://[::1]:8000/", id="ipv6"),
    ],
)
def test_accepts_this_apps_picture_pages(url, root):
    assert web.image_id_of_page(url, root) == ID


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("", id="empty"),
        pytest.param(f"https://evil.example/api/images/{ID}", id="other-host"),
        pytest.param(f"https://pics.example.evil.example/api/images/{ID}", id="host-suffix"),
        pytest.param(f"https://evilpics.example/api/images/{ID}", id="host-prefix"),
        pytest.param(f"https://pics.example./api/images/{ID}", id="trailing-dot-host"),
        pytest.param(f"http://pics.example/api/images/{ID}", id="other-scheme"),
        pytest.param(f"ftp://pics.example/api/images/{ID}", id="ftp"),
        pytest.param(f"javascript://pics.example/api/images/{ID}", id="javascript"),
        pytest.param(f"https://pics.example:8443/api/images/{ID}", id="other-port"),
        pytest.param(f"https://pics.example:443:80/api/images/{ID}", id="two-ports"),
        pytest.param(f"https://pics.example:99999/api/images/{ID}", id="port-out-of-range"),
        pytest.param(f"https://pics.example:x/api/images/{ID}", id="port-not-a-number"),
        pytest.param(f"https://evil.example@pics.example/api/images/{ID}", id="userinfo"),
        pytest.param(f"https://pics.example@evil.example/api/images/{ID}", id="userinfo-host"),
        pytest.param(f"https://pics.example%40evil.example/api/images/{ID}", id="encoded-at"),
        pytest.param(f"//pics.example/api/images/{ID}", id="scheme-relative"),
        pytest.param(f"//evil.example/api/images/{ID}", id="scheme-relative-evil"),
        pytest.param(f"https:///api/images/{ID}", id="no-host"),
        pytest.param(f"/api/images/{ID}", id="path-only"),
        pytest.param(f"https://pics.example/images/{ID}", id="no-stage-prefix"),
        pytest.param(f"https://pics.example/api/api/images/{ID}", id="doubled-prefix"),
        pytest.param(f"https://pics.example//api/images/{ID}", id="double-slash"),
        pytest.param(f"https://pics.example/api/images/{ID}/", id="trailing-slash"),
        pytest.param(f"https://pics.example/api/images/{ID}/../{ID}", id="dot-dot"),
        pytest.param(f"https://pics.example/api/images/..%2F{ID}", id="encoded-slash"),
        pytest.param(f"https://pics.example/api/images%2F{ID}", id="encoded-slash-prefix"),
        pytest.param(f"https://pics.example/api/images/{ID[:-1]}%41", id="encoded-letter"),
        pytest.param(f"https://pics.example/api/images\\{ID}", id="backslash"),
        pytest.param(f"https://pics.example\\@evil.example/api/images/{ID}", id="backslash-at"),
        pytest.param(f"https://pics.example/api/images/{ID}?x=1", id="query"),
        pytest.param(f"https://pics.example/api/images/{ID}?", id="empty-query"),
        pytest.param(f"https://pics.example/api/images/{ID}#top", id="fragment"),
        pytest.param(f"https://pics.example/api/images/{ID} ", id="trailing-space"),
        pytest.param(f"https://pics.example/api/images/{ID}\n", id="trailing-newline"),
        pytest.param(f"https://pics.ex\tample/api/images/{ID}", id="tab-in-host"),
        pytest.param(f"https://pics.example/api/images/{ID[:-1]}é", id="non-ascii"),
        pytest.param("https://pics.example/api/images/" + "A" * 21, id="id-too-short"),
        pytest.param("https://pics.example/api/images/" + "A" * 23, id="id-too-long"),
        pytest.param("https://pics.example/api/images/" + "A" * 21 + ".", id="id-bad-char"),
        pytest.param(f"https://pics.example/api/{ID}", id="not-a-picture-path"),
        pytest.param(f"https://pics.example/api/api/images/{ID}", id="status-api-lookalike"),
        pytest.param(f"https://[::1/api/images/{ID}", id="unclosed-ipv6"),
        pytest.param(PAGE + "A" * 3000, id="very-long"),
        pytest.param("https://pics.example/api/images/" + "A" * 5000, id="very-long-id"),
    ],
)
def test_refuses_anything_else(url):
    assert web.image_id_of_page(url, ROOT) is None
