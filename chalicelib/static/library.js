// picset's "My images" page: the signed-in person's images from `GET api/images`, a page
// at a time ("Load more" follows the API's cursor), each with its preview, status and alt
// text, a link to its page, "Copy markup", an inline alt text form (`PATCH`) and delete
// with a confirmation step in the page (`DELETE`). Every request carries the token that
// session.js keeps; a 401 means it expired, and the page says to sign in again.
"use strict";

(() => {
  const library = document.getElementById("library");
  const list = document.getElementById("images");
  const more = document.getElementById("more");
  const status = document.getElementById("library-status");
  const signedOutBox = document.getElementById("library-signed-out");
  const signedOutText = document.getElementById("library-signed-out-text");
  const signedInBox = document.getElementById("library-signed-in");
  const who = document.getElementById("library-who");
  const session = window.picsetSession;

  const api = library.dataset.api;
  const pageSize = Number(library.dataset.pageSize || 20);
  const maxAlt = Number(library.dataset.maxAlt || 500);
  const STATUS_WORDS = { ready: "Ready", processing: "Processing…", failed: "Failed" };
  const NEEDS_ALT = "Describe what the photo shows, or tick \u201cDecorative\u201d if it only decorates the page.";
  let cursor = null;

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else if (value === true) node.setAttribute(name, "");
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  function showSignedOut(message) {
    signedInBox.hidden = true;
    signedOutBox.hidden = false;
    signedOutText.textContent = message;
    status.textContent = "";
  }

  // A request for the signed-in person. Resolves to the response, or to null after a 401
  // (the token expired: it is dropped and the page asks to sign in again).
  async function call(url, options = {}) {
    let response;
    try {
      response = await fetch(url, { ...options, headers: session.headers(options.headers), cache: "no-store" });
    } catch {
      throw new Error("Could not reach picset. Check the connection and try again.");
    }
    if (response.status === 401) {
      session.clear();
      showSignedOut("Your session has ended. Sign in again to see your images.");
      document.getElementById("library-sign-in").focus();
      return null;
    }
    return response;
  }

  function itemUrl(item) {
    return `${api}/${encodeURIComponent(item.id)}`;
  }

  function nameOf(item) {
    return item.filename || "Untitled image";
  }

  function altWords(alt) {
    if (alt === "") return "none (decorative)";
    if (alt === null || alt === undefined) return "none given";
    return alt;
  }

  // The snippet to paste elsewhere: the API's own when the list gives it, else the one the
  // image's page shows (rendered by the server from the manifest), so there is one maker of
  // the markup, never a copy of it here.
  async function embedOf(item) {
    if (typeof item.embed === "string" && item.embed) return item.embed;
    let response;
    try {
      response = await fetch(item.page_url, { cache: "no-store" });
    } catch {
      throw new Error("Could not reach the image's page to read its markup.");
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const embed = page.getElementById("embed");
    if (!response.ok || !embed) throw new Error("The image's page has no markup to copy yet.");
    return embed.value;
  }

  function makeRow(item) {
    const name = nameOf(item);
    const li = element("li", { class: "lib-item", "data-id": item.id, "data-status": item.status });
    const thumb = item.preview_url
      ? element("img", { class: "lib-thumb", src: item.preview_url, alt: "", loading: "lazy", decoding: "async",
        width: "96", height: "96" })
      : element("span", { class: "lib-thumb lib-thumb-empty", "aria-hidden": "true",
        text: item.status === "failed" ? "!" : "…" });
    const link = element("a", { href: item.page_url, class: "lib-link", text: name });
    const when = item.created_at ? new Date(item.created_at) : null;
    const word = STATUS_WORDS[item.status] || item.status;
    const facts = [item.error && item.error.message ? `${word}: ${item.error.message}` : word];
    if (item.width && item.height) facts.push(`${item.width} × ${item.height}`);
    const meta = element("p", { class: "muted lib-meta" }, facts.join(" · "));
    if (when && !Number.isNaN(when.getTime())) {
      meta.append(" · uploaded ", element("time", { datetime: when.toISOString(), text: when.toLocaleString() }));
    }
    const altValue = element("span", { class: "alt-value", text: altWords(item.alt) });
    const altLine = element("p", { class: "lib-alt" }, element("span", { class: "muted", text: "Alt text: " }), altValue);
    const message = element("p", { class: "lib-message", role: "status" });

    const copy = element("button", { type: "button", class: "secondary", text: "Copy markup",
      "aria-label": `Copy markup of ${name}`, hidden: item.status !== "ready" });
    const edit = element("button", { type: "button", class: "secondary", text: "Edit alt text",
      "aria-label": `Edit alt text of ${name}`, "aria-expanded": "false" });
    const remove = element("button", { type: "button", class: "secondary danger", text: "Delete",
      "aria-label": `Delete ${name}` });
    const actions = element("div", { class: "actions lib-actions" }, copy, edit, remove);

    const row = { item, li, link, altValue, message, copy, edit, remove };
    const form = altForm(row);
    const confirm = confirmPanel(row);
    edit.setAttribute("aria-controls", form.id);
    row.form = form;
    row.confirm = confirm;

    li.append(thumb, element("div", { class: "lib-body" },
      element("h2", { class: "lib-name" }, link), meta, altLine, actions, form, confirm, message));

    copy.addEventListener("click", () => copyMarkup(row));
    edit.addEventListener("click", () => openForm(row));
    remove.addEventListener("click", () => {
      row.confirm.hidden = false;
      remove.hidden = true;
      message.textContent = "";
      row.confirm.querySelector(".keep").focus();
    });
    return li;
  }

  function altForm(row) {
    const { item } = row;
    const n = item.id;
    const input = element("input", { type: "text", id: `alt-${n}`, maxlength: String(maxAlt),
      "aria-describedby": `alt-rule-${n}` });
    const decorative = element("input", { type: "checkbox", id: `decorative-${n}` });
    const error = element("p", { class: "error", id: `alt-error-${n}`, role: "alert" });
    const save = element("button", { type: "submit", text: "Save" });
    const cancel = element("button", { type: "button", class: "secondary", text: "Cancel" });
    const form = element("form", { class: "alt-form", id: `alt-form-${n}`, hidden: true, novalidate: true },
      element("label", { for: `alt-${n}`, text: `Alt text for ${nameOf(item)}` }),
      input,
      element("p", { class: "muted", id: `alt-rule-${n}`,
        text: `What the photo shows, for people who cannot see it; up to ${maxAlt} characters.` }),
      element("label", {}, decorative, " Decorative (alt=\"\")"),
      error,
      element("div", { class: "actions" }, save, cancel));
    Object.assign(row, { altInput: input, decorative, altError: error, save });
    decorative.addEventListener("change", () => { input.disabled = decorative.checked; });
    cancel.addEventListener("click", () => closeForm(row));
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeForm(row);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      saveAlt(row);
    });
    return form;
  }

  function openForm(row) {
    const alt = row.item.alt;
    row.decorative.checked = alt === "";
    row.altInput.value = alt || "";
    row.altInput.disabled = row.decorative.checked;
    row.altInput.removeAttribute("aria-invalid");
    row.altError.textContent = "";
    row.form.hidden = false;
    row.edit.hidden = true;
    row.edit.setAttribute("aria-expanded", "true");
    row.message.textContent = "";
    (row.decorative.checked ? row.decorative : row.altInput).focus();
  }

  function closeForm(row) {
    row.form.hidden = true;
    row.edit.hidden = false;
    row.edit.setAttribute("aria-expanded", "false");
    row.edit.focus();
  }

  async function saveAlt(row) {
    const alt = row.decorative.checked ? "" : row.altInput.value.trim();
    if (!row.decorative.checked && !alt) {
      row.altInput.setAttribute("aria-invalid", "true");
      row.altError.textContent = NEEDS_ALT;
      row.altInput.focus();
      return;
    }
    row.altInput.removeAttribute("aria-invalid");
    row.altError.textContent = "";
    row.save.disabled = true;
    try {
      const response = await call(itemUrl(row.item), {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ alt }),
      });
      if (!response) return;
      if (!response.ok) {
        row.altError.textContent = `Not saved: ${await session.reason(response)}`;
        return;
      }
      const updated = await response.json().catch(() => null);
      row.item = { ...row.item, ...(updated || {}), alt: updated && "alt" in updated ? updated.alt : alt };
      row.altValue.textContent = altWords(row.item.alt);
      closeForm(row);
      row.message.textContent = "Alt text saved.";
    } catch (error) {
      row.altError.textContent = `Not saved: ${error.message}`;
    } finally {
      row.save.disabled = false;
    }
  }

  function confirmPanel(row) {
    const name = nameOf(row.item);
    const question = element("p", { id: `confirm-${row.item.id}`,
      text: `Delete ${name}? Its page and every file made from it are removed for good; pages that embed it will show a broken image.` });
    const yes = element("button", { type: "button", class: "danger", text: "Delete for good",
      "aria-label": `Delete ${name} for good` });
    const keep = element("button", { type: "button", class: "secondary keep", text: "Keep it",
      "aria-label": `Keep ${name}` });
    const error = element("p", { class: "error", role: "alert" });
    const panel = element("div", { class: "confirm", role: "group", "aria-labelledby": question.id, hidden: true },
      question, element("div", { class: "actions" }, yes, keep), error);
    keep.addEventListener("click", () => {
      panel.hidden = true;
      error.textContent = "";
      row.remove.hidden = false;
      row.remove.focus();
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") keep.click();
    });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        const response = await call(itemUrl(row.item), { method: "DELETE" });
        if (!response) return;
        // 404: it is already gone, which is what was asked for.
        if (!response.ok && response.status !== 404) {
          error.textContent = `Not deleted: ${await session.reason(response)}`;
          return;
        }
        forget(row, `Deleted ${name}.`);
      } catch (failure) {
        error.textContent = `Not deleted: ${failure.message}`;
      } finally {
        yes.disabled = false;
      }
    });
    return panel;
  }

  // Take a deleted image's row away and put the keyboard focus somewhere sensible.
  function forget(row, words) {
    const next = row.li.nextElementSibling || row.li.previousElementSibling;
    row.li.remove();
    status.textContent = words;
    if (next) next.querySelector(".lib-link").focus();
    else if (!more.hidden) more.focus();
    else status.textContent = `${words} You have no images left.`;
  }

  async function copyMarkup(row) {
    row.message.textContent = "Copying…";
    let markup;
    try {
      markup = await embedOf(row.item);
    } catch (error) {
      row.message.textContent = error.message;
      return;
    }
    try {
      await navigator.clipboard.writeText(markup);
      row.message.textContent = "Markup copied to the clipboard.";
    } catch {
      // No clipboard access (an insecure page, a denied permission): show the markup
      // selected, so Ctrl+C / Cmd+C copies it.
      let box = row.li.querySelector(".embed");
      if (!box) {
        box = element("textarea", { class: "embed", readonly: true, rows: "6", spellcheck: "false",
          "aria-label": `Markup of ${nameOf(row.item)}` });
        row.message.before(box);
      }
      box.value = markup;
      box.focus();
      box.select();
      row.message.textContent = "Selected: press Ctrl+C (or ⌘C) to copy.";
    }
  }

  async function loadPage() {
    more.disabled = true;
    status.textContent = "Loading your images…";
    const query = new URLSearchParams({ limit: String(pageSize) });
    if (cursor) query.set("cursor", cursor);
    try {
      const response = await call(`${api}?${query}`);
      if (!response) return;
      if (!response.ok) {
        status.textContent = `Could not load your images: ${await session.reason(response)}`;
        return;
      }
      const answer = await response.json();
      const rows = (answer.images || []).map(makeRow);
      const firstNew = rows[0];
      list.append(...rows);
      cursor = answer.cursor || null;
      more.hidden = !cursor;
      const count = list.children.length;
      status.textContent = count
        ? `${count} image${count === 1 ? "" : "s"} shown${cursor ? "; there are more" : ""}.`
        : "No images yet. Upload photos on the upload page and they appear here.";
      return firstNew;
    } catch (error) {
      status.textContent = `Could not load your images: ${error.message}`;
      return undefined;
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener("click", async () => {
    const firstNew = await loadPage();
    // Keyboard users go on from the first image just loaded, not back to the top.
    if (firstNew) firstNew.querySelector(".lib-link").focus();
  });

  const current = session.current();
  if (!current) {
    showSignedOut("Sign in to see your images.");
    return;
  }
  who.textContent = current.username;
  signedOutBox.hidden = true;
  signedInBox.hidden = false;
  loadPage();
})();
