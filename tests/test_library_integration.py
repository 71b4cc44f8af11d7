"""The owner's library against the real moto server over HTTP (S3, SQS and DynamoDB on
one endpoint), with the worker and `chalice local`: records on ticket, paging, alt
changes, deletion, another person's 403, and quotas under concurrent requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from dev.stack import Stack, free_port
from tests.conftest import make_image
from tests.test_integration import wait_done

pytestmark = pytest.mark.integration

UPLOADS_PER_DAY = 6
MIB = 1024 * 1024
#: the smallest the settings allow: one largest upload (40 MiB) must fit
BYTES_PER_DAY = 100 * MIB
BOB = "bob"
#: passwords of the people these tests sign in as, made on first use
PASSWORDS: dict[str, str] = {}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    quotas = {
        "PICSET_QUOTA_UPLOADS_PER_DAY": str(UPLOADS_PER_DAY),
        "PICSET_QUOTA_BYTES_PER_DAY": str(BYTES_PER_DAY),
    }
    with Stack(app_port=free_port(), s3_port=free_port(), quiet=True, extra_env=quotas) as up:
        yield up


def signed_in(stack: Stack, user: str) -> dict[str, str]:
    """A real sign-in of `user` (a user of the local pool, added on first use)."""
    if user not in PASSWORDS:
        PASSWORDS[user] = stack.add_user(user)
    return stack.auth(user, PASSWORDS[user])


def ask_ticket(stack: Stack, sub: str, size: int, name: str = "a.jpg") -> requests.Response:
    body: dict[str, str | int] = {
        "filename": name,
        "content_type": "image/jpeg",
        "size": size,
        "alt": "A gradient",
    }
    return requests.post(
        f"{stack.url}api/uploads", json=body, headers=signed_in(stack, sub), timeout=30
    )


def upload(stack: Stack, sub: str, name: str) -> dict[str, Any]:
    data = make_image(500, 400)
    response = ask_ticket(stack, sub, len(data), name)
    assert response.status_code == 201, response.text
    ticket = response.json()
    files = {"file": (name, data, "image/jpeg")}
    posted = requests.post(ticket["url"], data=ticket["fields"], files=files, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text
    return dict(ticket)


def library(stack: Stack, sub: str, query: str = "") -> dict[str, Any]:
    response = requests.get(
        f"{stack.url}api/images{query}", headers=signed_in(stack, sub), timeout=30
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_owner_lists_changes_and_deletes(stack):
    sub = "owner-c"
    first = upload(stack, sub, "first.jpg")
    second = upload(stack, sub, "second.jpg")
    wait_done(first["status_url"])
    wait_done(second["status_url"])

    page = library(stack, sub, "?limit=1")
    assert [i["id"] for i in page["images"]] == [second["id"]]
    rest = library(stack, sub, f"?limit=1&cursor={page['cursor']}")
    assert [i["id"] for i in rest["images"]] == [first["id"]]
    assert (
        rest["cursor"] is None or library(stack, sub, f"?cursor={rest['cursor']}")["images"] == []
    )
    image = page["images"][0]
    assert image["status"] == "ready" and image["filename"] == "second.jpg"
    assert requests.get(image["preview_url"], timeout=10).status_code == 200

    before = requests.get(second["status_url"], timeout=10).json()
    path = f"{stack.url}api/images/{second['id']}"
    assert (
        requests.patch(
            path, json={"alt": "x"}, headers=signed_in(stack, BOB), timeout=10
        ).status_code
        == 403
    )
    changed = requests.patch(path, json={"alt": "Dusk"}, headers=signed_in(stack, sub), timeout=10)
    assert changed.status_code == 200, changed.text
    after = requests.get(second["status_url"], timeout=10).json()
    assert after["alt"] == "Dusk"
    assert after["variants"] == before["variants"] and after["revision"] == before["revision"]
    page_html = requests.get(second["page_url"], timeout=10).text
    assert re.search(r'<img[^>]*alt="Dusk"', page_html)

    assert requests.delete(path, headers=signed_in(stack, BOB), timeout=10).status_code == 403
    assert requests.delete(path, headers=signed_in(stack, sub), timeout=10).status_code == 204
    assert requests.get(second["page_url"], timeout=10).status_code == 404
    assert requests.get(second["status_url"], timeout=10).status_code == 404
    for variant in before["variants"]:
        url = f"{stack.endpoint_url}/{stack.bucket}/{variant['key']}"
        assert requests.get(url, timeout=10).status_code in (403, 404)
    assert [i["id"] for i in library(stack, sub)["images"]] == [first["id"]]


def persistently(stack: Stack, sub: str, size: int) -> requests.Response:
    """`chalice local` listens with a short backlog and resets connections beyond it
    before reading them; such a request never reached the app, so it is sent again."""
    for _ in range(20):
        try:
            return ask_ticket(stack, sub, size)
        except requests.ConnectionError:
            continue
    raise AssertionError("the API kept resetting the connection")


def concurrently(stack: Stack, sub: str, size: int, count: int = 20) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: persistently(stack, sub, size), range(count)))


def assert_exactly_one_ticket(answers: list[requests.Response]) -> None:
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [429] * (len(answers) - 1), statuses
    for answer in answers:
        if answer.status_code == 429:
            assert answer.json()["error"]["code"] == "quota_exceeded"
            assert 1 <= int(answer.headers["Retry-After"]) <= 86400


def test_twenty_requests_one_upload_below_the_limit_get_one_ticket(stack):
    sub = "quota-d"
    for _ in range(UPLOADS_PER_DAY - 1):
        assert ask_ticket(stack, sub, 10).status_code == 201
    assert_exactly_one_ticket(concurrently(stack, sub, 10))
    assert len(library(stack, sub)["images"]) == UPLOADS_PER_DAY


def test_twenty_requests_for_the_last_bytes_get_one_ticket(stack):
    sub = "quota-e"
    for _ in range(2):
        assert ask_ticket(stack, sub, 40 * MIB).status_code == 201  # 80 of 100 MiB used
    assert_exactly_one_ticket(concurrently(stack, sub, 15 * MIB))  # one fits, two do not
    assert ask_ticket(stack, sub, 5 * MIB).status_code == 201  # exactly the limit
