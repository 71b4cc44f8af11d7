"""Signing in and "My images" in Debian chromium, against the whole app on loopback: the
sign-in form, uploading through the page, the list with its previews, copying the markup,
editing alt text, deleting with the page's own confirmation, "Load more", signing out, and
what an upload without a valid token gets. Screenshots land in artifacts/screenshots/browser/.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from dev.stack import Stack
from dev.waiting import wait_until
from tests import browser_pages, browser_support
from tests.browser_pages import IMAGE_LOADED, SHOTS, WAIT_MS, sign_in, signed_in_page
from tests.conftest import HTTP_TIMEOUT, make_image
from tests.test_integration import wait_done

browser = browser_support.browser  # the shared headless chromium
stack = browser_pages.stack  # this module's own app on loopback
context = browser_pages.context

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SESSION = "() => sessionStorage.getItem('picset.session')"
PREVIEWS_LOADED = """() => {
  const thumbs = [...document.querySelectorAll('#images img.lib-thumb')];
  return thumbs.length > 0 && thumbs.every(img => img.complete && img.naturalWidth > 0);
}"""


def upload_as(stack: Stack, username: str, password: str, filename: str, alt: str) -> dict:
    """An image uploaded over HTTP by `username`, processed; its ticket."""
    data = make_image(400, 300)
    answer = requests.post(
        f"{stack.url}api/uploads",
        json={"filename": filename, "content_type": "image/jpeg", "size": len(data), "alt": alt},
        headers=stack.auth(username, password),
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    posted = requests.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": (filename, data, "image/jpeg")},
        timeout=HTTP_TIMEOUT,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    assert wait_done(ticket["status_url"])["status"] == "ready"
    return dict(ticket)


def row_of(page: Any, filename: str) -> Any:
    return page.locator(".lib-item", has=page.get_by_role("link", name=filename, exact=True))


def test_wrong_password_is_said_in_words_and_nothing_is_kept(context, stack):
    page = context.new_page()
    page.goto(stack.url)
    page.get_by_label("User name").fill(stack.user)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    message = page.locator("#sign-in-message")
    page.wait_for_function("() => document.getElementById('sign-in-message').textContent !== ''")
    assert message.inner_text() == "Not signed in: Wrong user name or password."
    assert page.get_attribute("#password", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "password"
    assert page.evaluate(SESSION) is None
    page.screenshot(path=SHOTS / "sign-in-refused.png", full_page=True)


def test_empty_sign_in_form_asks_for_both_fields(context, stack):
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "api/" in request.url else None)
    page.goto(stack.url)
    page.get_by_role("button", name="Sign in").click()
    assert (
        page.locator("#sign-in-message").inner_text() == "Enter your user name and your password."
    )
    assert page.evaluate("document.activeElement.id") == "username"
    assert asked == []


def test_signed_out_page_refuses_to_upload_and_says_to_sign_in(context, stack, tmp_path):
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "api/" in request.url else None)
    page.goto(stack.url)
    assert page.locator("#sign-in-form").is_visible()
    assert page.locator("#upload-locked").inner_text() == "Sign in above to upload photos."
    assert page.locator("#file").is_disabled()
    assert page.get_by_role("button", name="Upload").is_disabled()
    assert page.get_by_role("link", name="My images").is_hidden()
    page.screenshot(path=SHOTS / "upload-page-signed-out.png", full_page=True)

    # A drop still reaches the page's script: it says to sign in and queues nothing.
    transfer = page.evaluate_handle(
        """() => { const t = new DataTransfer();
          t.items.add(new File(["x"], "dropped.jpg", { type: "image/jpeg" })); return t; }"""
    )
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    assert page.locator(".item").count() == 0
    assert page.locator("#summary").inner_text() == (
        "Sign in first: only signed-in people can upload."
    )
    assert asked == []


def test_ticket_without_a_valid_token_brings_back_the_sign_in_form(context, stack, tmp_path):
    photo = tmp_path / "waiting.jpg"
    photo.write_bytes(make_image(320, 240))
    page = signed_in_page(context, stack)
    refused: list[int] = []

    def without_token(route: Any) -> None:
        # As an expired token would: the real API sees no valid token and answers 401.
        headers = {k: v for k, v in route.request.headers.items() if k.lower() != "authorization"}
        route.continue_(headers=headers)

    page.route("**/api/uploads", without_token)
    page.on(
        "response", lambda r: refused.append(r.status) if r.url.endswith("api/uploads") else None
    )
    page.set_input_files("#file", str(photo))
    page.get_by_label("Alt text for waiting.jpg").fill("A photo that waits for sign-in")
    page.get_by_role("button", name="Upload").click()

    page.locator("#sign-in-form").wait_for(state="visible")
    assert refused == [401]
    assert page.locator("#sign-in-message").inner_text() == (
        "Your session has ended. Sign in again to upload."
    )
    assert page.evaluate(SESSION) is None
    row = page.locator(".item").first
    assert row.get_attribute("data-state") == "queued"
    assert row.locator(".item-state").inner_text() == (
        "Not uploaded yet: sign in again, then press Upload."
    )
    assert page.locator("#file").is_disabled()
    assert page.get_by_role("button", name="Upload").is_disabled()
    assert page.evaluate("document.activeElement.id") == "username"
    page.screenshot(path=SHOTS / "upload-page-session-ended.png", full_page=True)

    # Signed in again, the same photo (its alt text kept) goes up.
    page.unroute("**/api/uploads")
    page.get_by_label("User name").fill(stack.user)
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/images/*", timeout=WAIT_MS)
    page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
    assert page.locator("#picture img").get_attribute("alt") == "A photo that waits for sign-in"


@pytest.mark.parametrize(
    ("status", "headers", "message", "shown"),
    [
        pytest.param(
            403,
            {},
            "This account may not upload.",
            "Upload ticket refused: This account may not upload.",
            id="forbidden",
        ),
        pytest.param(
            429,
            {"Retry-After": "3600"},
            "You have used today's uploads.",
            "Upload ticket refused: You have used today's uploads. Try again in 60 minutes (at ",
            id="quota-used-up",
        ),
    ],
)
def test_refused_ticket_shows_the_apis_message_on_the_row(
    context, stack, tmp_path, status, headers, message, shown
):
    photo = tmp_path / "refused.jpg"
    photo.write_bytes(make_image(200, 100))
    page = signed_in_page(context, stack)
    body = {
        "error": {"code": "forbidden" if status == 403 else "quota_exceeded", "message": message}
    }
    page.route(
        "**/api/uploads",
        lambda route: route.fulfill(
            status=status,
            headers={"Content-Type": "application/json", **headers},
            body=json.dumps(body),
        ),
    )
    page.set_input_files("#file", str(photo))
    page.get_by_label("Decorative").check()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function("() => document.querySelector('.item').dataset.state === 'error'")
    assert page.locator(".item-state").inner_text().startswith(shown)
    assert page.locator("#signed-in").is_visible(), "a refusal is not a sign-out"


def test_sign_in_upload_list_copy_edit_delete_and_sign_out(context, stack, tmp_path):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url.rstrip("/"))
    photo = tmp_path / "lighthouse.jpg"
    photo.write_bytes(make_image(1200, 900))
    page = context.new_page()
    sign_in(page, stack)
    assert page.locator("#who").inner_text() == stack.user
    page.screenshot(path=SHOTS / "upload-page-signed-in.png", full_page=True)

    # Upload through the page; one photo opens its page when it is ready.
    page.set_input_files("#file", str(photo))
    page.get_by_label("Alt text for lighthouse.jpg").fill("A lighthouse")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/images/*", timeout=WAIT_MS)
    page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
    page_url = page.url
    embed = page.locator("#embed").input_value()

    # The token survives a reload of the tab: My images is one link away.
    page.goto(stack.url)
    assert page.locator("#signed-in").is_visible()
    page.get_by_role("link", name="My images").click()
    page.wait_for_url("**/library")
    row = row_of(page, "lighthouse.jpg")
    row.wait_for()
    page.wait_for_function(PREVIEWS_LOADED)
    assert row.get_attribute("data-status") == "ready"
    assert row.get_by_role("link", name="lighthouse.jpg").get_attribute("href") == page_url
    assert "Ready · 1200 × 900" in row.locator(".lib-meta").inner_text()
    assert row.locator(".alt-value").inner_text() == "A lighthouse"
    page.screenshot(path=SHOTS / "library.png", full_page=True)

    row.get_by_role("button", name="Copy markup of lighthouse.jpg").click()
    row.locator(".lib-message", has_text="Markup copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == embed

    # Alt text: an empty one is refused in words, then a new one is saved.
    row.get_by_role("button", name="Edit alt text of lighthouse.jpg").click()
    field = row.get_by_label("Alt text for lighthouse.jpg")
    assert field.input_value() == "A lighthouse"
    field.fill("   ")
    row.get_by_role("button", name="Save").click()
    assert row.locator(".alt-form .error").inner_text().startswith("Describe what the photo shows")
    assert field.get_attribute("aria-invalid") == "true"
    field.fill("A red lighthouse on a rock at dusk")
    page.screenshot(path=SHOTS / "library-edit-alt.png", full_page=True)
    row.get_by_role("button", name="Save").click()
    row.locator(".lib-message", has_text="Alt text saved.").wait_for()
    assert row.locator(".alt-value").inner_text() == "A red lighthouse on a rock at dusk"
    assert row.locator(".alt-form").is_hidden()
    assert page.evaluate("document.activeElement.textContent") == "Edit alt text"

    picture = context.new_page()
    picture.goto(page_url)
    picture.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
    assert picture.locator("#picture img").get_attribute("alt") == (
        "A red lighthouse on a rock at dusk"
    )
    picture.close()

    # Delete asks first, in the page; "Keep it" keeps it.
    row.get_by_role("button", name="Delete lighthouse.jpg").click()
    confirm = row.locator(".confirm")
    assert confirm.is_visible()
    assert "Delete lighthouse.jpg?" in confirm.inner_text()
    page.screenshot(path=SHOTS / "library-confirm-delete.png", full_page=True)
    row.get_by_role("button", name="Keep lighthouse.jpg").click()
    assert confirm.is_hidden()
    row.get_by_role("button", name="Delete lighthouse.jpg").click()
    row.get_by_role("button", name="Delete lighthouse.jpg for good").click()
    row.wait_for(state="detached")
    assert "Deleted lighthouse.jpg." in page.locator("#library-status").inner_text()
    wait_until(
        lambda: requests.get(page_url, timeout=HTTP_TIMEOUT).status_code == 404,
        f"{page_url} answering 404",
    )

    # Signing out forgets the token; My images then asks to sign in.
    page.goto(stack.url)
    page.get_by_role("button", name="Sign out").click()
    assert page.locator("#sign-in-form").is_visible()
    assert page.locator("#sign-in-message").inner_text() == "You are signed out."
    assert page.locator("#file").is_disabled()
    assert page.evaluate(SESSION) is None
    page.goto(f"{stack.url}library")
    page.locator("#library-signed-out").wait_for(state="visible")
    assert page.locator("#library-signed-out-text").inner_text() == "Sign in to see your images."
    assert page.get_by_role("link", name="Sign in on the upload page").get_attribute("href") == "./"
    page.screenshot(path=SHOTS / "library-signed-out.png", full_page=True)


def test_library_pages_with_load_more_and_works_from_the_keyboard(context, stack):
    password = stack.add_user("pager")
    for n in range(3):
        upload_as(stack, "pager", password, f"page-{n}.jpg", f"Photo number {n}")
    page = context.new_page()
    sign_in(page, stack, "pager", password)

    def two_a_page(route: Any) -> None:
        # The page asks for 20 at a time; two make the cursor matter with three images.
        route.continue_(url=route.request.url.replace("limit=20", "limit=2"))

    page.route("**/api/images?*", two_a_page)
    page.goto(f"{stack.url}library")
    page.locator(".lib-item").nth(1).wait_for()
    names = page.locator(".lib-link")
    assert [names.nth(i).inner_text() for i in range(names.count())] == ["page-2.jpg", "page-1.jpg"]
    more = page.get_by_role("button", name="Load more")
    assert more.is_visible()

    more.focus()
    page.keyboard.press("Enter")
    page.locator(".lib-item").nth(2).wait_for()
    assert more.is_hidden(), "no cursor, no more pages"
    assert page.evaluate("document.activeElement.textContent") == "page-0.jpg"

    # Edit alt text without a mouse: Tab from the link to the buttons, type, Enter saves.
    row = row_of(page, "page-0.jpg")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Edit alt text":
            break
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == row.locator(
        ".alt-form input"
    ).first.get_attribute("id")
    page.keyboard.press("Control+A")
    page.keyboard.type("Typed on the keyboard")
    page.keyboard.press("Enter")
    row.locator(".lib-message", has_text="Alt text saved.").wait_for()
    assert row.locator(".alt-value").inner_text() == "Typed on the keyboard"

    # Escape closes the delete confirmation and leaves the image.
    page.keyboard.press("Tab")  # Delete
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.textContent") == "Keep it"
    page.keyboard.press("Escape")
    assert row.locator(".confirm").is_hidden()
    assert page.evaluate("document.activeElement.textContent") == "Delete"
    page.screenshot(path=SHOTS / "library-three.png", full_page=True)


def test_alt_change_refused_by_the_api_is_said_on_the_form(context, stack):
    password = stack.add_user("refused")
    upload_as(stack, "refused", password, "busy.jpg", "Busy")
    page = context.new_page()
    sign_in(page, stack, "refused", password)
    page.route(
        "**/api/images/*",
        lambda route: (
            route.fulfill(
                status=409,
                headers={"Content-Type": "application/json"},
                body=json.dumps(
                    {"error": {"code": "processing", "message": "This image is still processing."}}
                ),
            )
            if route.request.method == "PATCH"
            else route.continue_()
        ),
    )
    page.goto(f"{stack.url}library")
    row = row_of(page, "busy.jpg")
    row.get_by_role("button", name="Edit alt text of busy.jpg").click()
    row.get_by_label("Alt text for busy.jpg").fill("Not busy")
    row.get_by_role("button", name="Save").click()
    error = row.locator(".alt-form .error")
    error.filter(has_text="Not saved").wait_for()
    assert error.inner_text() == "Not saved: This image is still processing."
    assert row.locator(".alt-value").inner_text() == "Busy"
