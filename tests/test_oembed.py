"""`GET /api/oembed`: the query's parsing, the answer from a manifest, and the route
through chalice's test client on moto (states, errors, CORS)."""

import json
import re
from urllib.parse import quote

import pytest

from chalicelib import keys, oembed, render
from chalicelib.errors import RequestError
from tests import app_client
from tests.app_client import BUCKET
from tests.conftest import make_image
from tests.test_app import s3_event
from tests.test_sharing import BASE, IMAGE_ID, SITE, manifest

s3 = app_client.s3
client = app_client.client

PAGE = f"{SITE}images/{IMAGE_ID}"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        pytest.param({"url": PAGE, "format": "xml"}, 501, "format_not_implemented", id="xml"),
        pytest.param({"url": PAGE, "format": "yaml"}, 501, "format_not_implemented", id="other"),
        pytest.param({}, 400, "missing_url", id="no-url"),
        pytest.param({"url": ""}, 400, "missing_url", id="empty-url"),
        pytest.param({"url": "https://evil.example/images/" + "A" * 22}, 404, "not_found", id="x"),
        pytest.param({"url": "not a url"}, 404, "not_found", id="malformed"),
        pytest.param({"url": PAGE, "maxwidth": "0"}, 400, "bad_dimension", id="zero"),
        pytest.param({"url": PAGE, "maxwidth": "-5"}, 400, "bad_dimension", id="negative"),
        pytest.param({"url": PAGE, "maxheight": "1.5"}, 400, "bad_dimension", id="fraction"),
        pytest.param({"url": PAGE, "maxheight": "9" * 4000}, 400, "bad_dimension", id="huge"),
    ],
)
def test_parse_refuses_what_it_cannot_answer(query, status, code):
    with pytest.raises(RequestError) as raised:
        oembed.parse(query, SITE)
    assert (raised.value.status, raised.value.code) == (status, code)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"url": PAGE}, oembed.Request(IMAGE_ID), id="format-defaults-to-json"),
        pytest.param(
            {"url": PAGE, "format": "json", "maxwidth": "600", "maxheight": ""},
            oembed.Request(IMAGE_ID, 600, None),
            id="limits",
        ),
    ],
)
def test_parse_reads_the_page_and_the_limits(query, expected):
    assert oembed.parse(query, SITE) == expected


@pytest.mark.parametrize(
    ("max_width", "max_height", "size", "thumb"),
    [
        pytest.param(None, None, (1920, 1440), 1280, id="natural-size"),
        pytest.param(600, None, (600, 450), 320, id="maxwidth"),
        pytest.param(None, 300, (400, 300), 320, id="maxheight"),
        pytest.param(800, 300, (400, 300), 320, id="the-tighter-limit-wins"),
        pytest.param(4000, 4000, (1920, 1440), 1280, id="never-scaled-up"),
        pytest.param(100, None, (100, 75), None, id="no-thumbnail-fits"),
    ],
)
def test_answer_is_a_rich_response_fitted_to_the_limits(max_width, max_height, size, thumb):
    found = manifest(alt="A boat")
    body = oembed.answer(found, BASE, SITE, oembed.Request(IMAGE_ID, max_width, max_height))
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert (body["provider_name"], body["provider_url"]) == ("picset", SITE)
    assert body["title"] == "A boat"
    assert (body["width"], body["height"]) == size
    img = re.search(r"<img [^>]+>", body["html"])
    assert img is not None
    assert f'width="{size[0]}" height="{size[1]}"' in img.group(0)
    for attribute in ('alt="A boat"', 'loading="lazy"', 'decoding="async"', "sizes="):
        assert attribute in img.group(0)
    if thumb is None:
        assert not {"thumbnail_url", "thumbnail_width", "thumbnail_height"} & set(body)
    else:
        assert body["thumbnail_url"] == f"{BASE}/images/{IMAGE_ID}/r/{thumb}w.jpg"
        assert (body["thumbnail_width"], body["thumbnail_height"]) == (thumb, thumb * 3 // 4)
        assert body["thumbnail_width"] <= (max_width or thumb)


def test_answer_without_limits_is_the_pages_copied_markup():
    found = manifest(alt="A boat")
    body = oembed.answer(found, BASE, SITE, oembed.Request(IMAGE_ID))
    assert body["html"] == str(render.embed_markup(found, BASE))


def test_the_snippet_is_self_contained_and_escaped():
    found = manifest(alt='"><script>alert(1)</script>')
    html = oembed.answer(found, BASE, SITE, oembed.Request(IMAGE_ID, 500))["html"]
    assert "<script" not in html
    assert "&#34;&gt;&lt;script&gt;" in html
    urls = re.findall(r'(?:src|srcset)="([^" ]+)', html)
    assert urls and all(url.startswith(f"{BASE}/images/") for url in urls)
    assert 'sizes="auto, (min-width: 500px) 500px, 100vw"' in html


def test_a_decorative_image_has_no_title():
    body = oembed.answer(manifest(alt=""), BASE, SITE, oembed.Request(IMAGE_ID))
    assert "title" not in body
    assert 'alt=""' in body["html"]


# --- the route, in-process --------------------------------------------------------------

ROOT = "http://localhost/"  # what chalice's test client's requests arrive at


def ask(client, url: str, **params: str):
    query = "&".join(
        f"{name}={quote(value, safe='')}" for name, value in {"url": url, **params}.items()
    )
    return client.http.get(f"/api/oembed?{query}")


def ready(client, s3, image_id: str, alt: str = "A harbour") -> None:
    s3.put_object(
        Bucket=BUCKET,
        Key=keys.upload_key(image_id),
        Body=make_image(1600, 1200),
        ContentType="image/jpeg",
        Metadata={"filename": "harbour.jpg", "alt": quote(alt)},
    )
    client.lambda_.invoke("resize_upload", s3_event(client, s3, image_id))


def test_the_route_embeds_a_ready_picture_page(client, s3):
    image_id = "R" * 22
    ready(client, s3, image_id)
    response = ask(client, f"{ROOT}images/{image_id}", maxwidth="800", format="json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    # Public data, fetched server-side by consumers and sometimes from browsers: any origin.
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = json.loads(response.body)
    assert (body["type"], body["width"], body["height"]) == ("rich", 800, 600)
    assert body["provider_url"] == ROOT
    assert body["title"] == "A harbour"
    # A JPEG variant that fits the 800 px asked for (widths are spaced by bytes).
    thumbnail = re.search(r"/(\d+)w\.jpg$", body["thumbnail_url"])
    assert thumbnail is not None and 320 <= int(thumbnail.group(1)) <= 800
    assert body["thumbnail_width"] == int(thumbnail.group(1))
    assert "harbour.jpg" not in response.body.decode(), "the file name is private"

    # The page advertises exactly this endpoint for itself.
    page = client.http.get(f"/images/{image_id}").body.decode()
    link = re.search(r'type="application/json\+oembed" href="([^"]+)"', page)
    assert link is not None
    advertised = link.group(1).replace("&amp;", "&")
    assert (
        advertised
        == f"{ROOT}api/oembed?url={quote(f'{ROOT}images/{image_id}', safe='')}&format=json"
    )
    assert client.http.get(advertised[len(ROOT) - 1 :]).status_code == 200
    assert "harbour.jpg" not in page.split("</head>")[0]


def test_the_route_answers_404_for_anything_but_a_ready_picture(client, s3):
    processing, failed = "P" * 22, "F" * 22
    s3.put_object(Bucket=BUCKET, Key=keys.upload_key(processing), Body=b"x")
    s3.put_object(Bucket=BUCKET, Key=keys.upload_key(failed), Body=b"%PDF-1.4 nope")
    client.lambda_.invoke("resize_upload", s3_event(client, s3, failed))
    for url in (
        f"{ROOT}images/{processing}",
        f"{ROOT}images/{failed}",
        f"{ROOT}images/{'U' * 22}",
        f"http://evil.example/images/{processing}",
        f"{ROOT}images/{processing}?x=1",
        f"{ROOT}images/..%2F{processing}",
    ):
        response = ask(client, url)
        assert response.status_code == 404, url
        assert json.loads(response.body)["error"]["code"] == "not_found"


def test_the_route_refuses_xml_with_501(client):
    response = ask(client, f"{ROOT}images/{'U' * 22}", format="xml")
    assert response.status_code == 501
    assert json.loads(response.body) == {
        "error": {"code": "format_not_implemented", "message": "Only format=json is available."}
    }
