// picset's upload page. For each chosen or dropped file: check it against the limits the
// server rendered into the form (never a copy of them here), ask the API for a ticket,
// POST the file straight into the bucket with the ticket's fields while a progress bar
// follows the real upload events, then poll the status API until the image is ready or
// has failed. Recent uploads are kept in this browser (localStorage) only.
//
// Uploading needs a signed-in person: the sign-in form trades a user name and password
// for an access token (session.js keeps it), every ticket request carries it, and an
// expired one brings the form back with the photos still waiting.
"use strict";

(() => {
  const form = document.getElementById("upload-form");
  const input = document.getElementById("file");
  const drop = document.getElementById("drop");
  const queue = document.getElementById("queue");
  const start = document.getElementById("start");
  const summary = document.getElementById("summary");
  const recentList = document.getElementById("recent");
  const forget = document.getElementById("forget");
  const signInForm = document.getElementById("sign-in-form");
  const username = document.getElementById("username");
  const password = document.getElementById("password");
  const signInButton = document.getElementById("sign-in");
  const signInMessage = document.getElementById("sign-in-message");
  const signedIn = document.getElementById("signed-in");
  const who = document.getElementById("who");
  const signOut = document.getElementById("sign-out");
  const locked = document.getElementById("upload-locked");
  const session = window.picsetSession;

  const limits = JSON.parse(form.dataset.limits);
  const api = form.dataset.api;
  const RECENT_KEY = "picset.recent";
  const RECENT_MAX = 20;
  // Polls back off from 1 s by 1.5x up to 10 s. The status API itself answers "failed"
  // (code "timeout") once an upload is older than the server's processing bound, so the
  // page stops a minute after that bound at the latest and offers the image's link.
  const POLL_FIRST_MS = 1000;
  const POLL_MAX_MS = 10000;
  const POLL_GIVE_UP_MS = Number(form.dataset.processingTimeoutMs || 300000) + 60000;
  const NEEDS_ALT = "Not uploaded yet: describe what the photo shows in its alt text field, "
    + "or tick \u201cDecorative\u201d if it only decorates the page.";
  const items = [];
  let counter = 0;

  function humanBytes(size) {
    if (size < 1024) return `${size} B`;
    let value = size;
    for (const unit of ["KB", "MB", "GB"]) {
      value /= 1024;
      if (value < 1024 || unit === "GB") return `${value.toFixed(1)} ${unit}`;
    }
    return `${size} B`;
  }

  function kinds() {
    const names = [...new Set(Object.values(limits.types))];
    return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names.join("");
  }

  // Linux browsers often report HEIC/HEIF with no type: fall back to the name's ending.
  function typeOf(file) {
    if (file.type) return file.type.toLowerCase();
    const dot = file.name.lastIndexOf(".");
    const ending = dot >= 0 ? file.name.slice(dot + 1).toLowerCase() : "";
    return limits.extensions[ending] || "";
  }

  function problemWith(file, type) {
    if (!Object.hasOwn(limits.types, type)) {
      const what = type ? `a ${type} file` : "not a file type picset recognises";
      return `Not uploaded: this is ${what}. picset takes ${kinds()}.`;
    }
    if (file.size === 0) return "Not uploaded: this file is empty.";
    if (file.size > limits.max_bytes) {
      return `Not uploaded: this file is ${humanBytes(file.size)}; the limit is ${humanBytes(limits.max_bytes)}.`;
    }
    return "";
  }

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else if (value === true) node.setAttribute(name, "");
      else if (value !== false && value !== null) node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  function makeItem(file) {
    const n = counter++;
    const type = typeOf(file);
    const problem = problemWith(file, type);
    const name = element("span", { class: "item-name", text: file.name });
    const size = element("span", { class: "muted", text: humanBytes(file.size) });
    const remove = element("button", {
      type: "button", class: "secondary", "aria-label": `Remove ${file.name}`, text: "Remove",
    });
    const cancel = element("button", {
      type: "button", class: "secondary", "aria-label": `Cancel ${file.name}`, text: "Cancel", hidden: true,
    });
    const link = element("a", {
      class: "item-link", hidden: true, text: "Open its page", "aria-label": `Open the page of ${file.name}`,
    });
    const altInput = element("input", {
      type: "text", id: `alt-${n}`, maxlength: String(limits.max_alt),
      placeholder: "What the photo shows, for people who cannot see it",
      "aria-describedby": "alt-rule",
    });
    const decorative = element("input", { type: "checkbox", id: `decorative-${n}` });
    const altFields = element(
      "div", { class: "alt-fields" },
      element("label", { for: `alt-${n}`, text: `Alt text for ${file.name}` }),
      element("span"),
      altInput,
      element("label", {}, decorative, " Decorative (alt=\"\")"),
    );
    const progress = element("progress", { max: "100", value: "0", hidden: true,
      "aria-label": `Upload progress of ${file.name}` });
    const state = element("p", { class: "item-state", role: "status" });
    const li = element(
      "li", { class: "item" },
      element("div", { class: "item-head" }, name, size, element("span", { class: "grow" }),
        link, cancel, remove),
      altFields, progress, state,
    );
    const item = { file, type, li, progress, state, cancel, remove, link, altInput, decorative,
      altFields, xhr: null, cancelled: false };
    decorative.addEventListener("change", () => {
      altInput.disabled = decorative.checked;
      altGiven(item);
    });
    altInput.addEventListener("input", () => altGiven(item));
    remove.addEventListener("click", () => {
      items.splice(items.indexOf(item), 1);
      li.remove();
      refresh();
      input.focus();
    });
    cancel.addEventListener("click", () => cancelItem(item));
    if (problem) {
      setState(item, "invalid", problem);
      altFields.hidden = true;
    } else {
      setState(item, "queued", "Ready to upload.");
    }
    return item;
  }

  // Alt text is required: a description, or "" when the photo is marked decorative.
  // null means neither was given, and the page asks for one before any ticket.
  function altOf(item) {
    if (item.decorative.checked) return "";
    return item.altInput.value.trim() || null;
  }

  function altGiven(item) {
    if (item.li.dataset.state !== "needs-alt" || altOf(item) === null) return;
    item.altInput.removeAttribute("aria-invalid");
    setState(item, "queued", "Ready to upload.");
  }

  function setState(item, state, text) {
    item.li.dataset.state = state;
    item.state.textContent = text;
    refresh();
  }

  function refresh() {
    const waiting = items.filter((item) => ["queued", "needs-alt"].includes(item.li.dataset.state)).length;
    start.disabled = waiting === 0 || !session.current();
    start.textContent = waiting > 1 ? `Upload ${waiting} files` : "Upload";
  }

  function addFiles(files) {
    if (!session.current()) {
      summary.textContent = "Sign in first: only signed-in people can upload.";
      return;
    }
    for (const file of files) {
      const item = makeItem(file);
      items.push(item);
      queue.append(item.li);
    }
    refresh();
    summary.textContent = items.length ? "" : "No files chosen.";
  }

  function setProgress(item, fraction) {
    const percent = Math.min(100, Math.floor(fraction * 100));
    item.progress.value = percent;
    setState(item, "uploading", `Uploading… ${percent} %`);
  }

  // Once a file is on its way its alt text is fixed (it travels with the ticket).
  function lock(item) {
    item.altInput.disabled = true;
    item.decorative.disabled = true;
    item.altFields.hidden = true;
    item.remove.hidden = true;
  }

  // Back to waiting, alt text editable again: the ticket was refused before anything was sent.
  function unlock(item) {
    item.decorative.disabled = false;
    item.altInput.disabled = item.decorative.checked;
    item.altFields.hidden = false;
    item.remove.hidden = false;
  }

  function cancelItem(item) {
    item.cancelled = true;
    item.cancel.hidden = true;
    if (item.xhr) item.xhr.abort();
    else setState(item, "cancelled", "Upload cancelled.");
  }

  async function requestTicket(item) {
    const body = { filename: item.file.name, content_type: item.type, size: item.file.size, alt: altOf(item) };
    let response;
    try {
      response = await fetch(api, {
        method: "POST",
        headers: session.headers({ "Content-Type": "application/json" }),
        body: JSON.stringify(body),
      });
    } catch {
      setState(item, "error", "Could not reach picset to ask for an upload ticket. Check the connection and try again.");
      return null;
    }
    if (response.status === 401) {
      // The token expired (or was revoked): sign in again, and this photo waits for it.
      session.clear();
      showSession("Your session has ended. Sign in again to upload.", true);
      unlock(item);
      setState(item, "queued", "Not uploaded yet: sign in again, then press Upload.");
      username.focus();
      return null;
    }
    if (!response.ok) {
      const reason = await session.reason(response);
      // 429: a daily quota is used up; Retry-After says when it is not any more.
      const retry = response.status === 429 ? session.retryText(response.headers.get("Retry-After")) : "";
      setState(item, "error", `Upload ticket refused: ${reason}${retry ? ` ${retry}` : ""}`);
      return null;
    }
    return response.json();
  }

  // The bucket answers errors in XML: show its <Message>, which says what it refused.
  function bucketReason(xhr) {
    const found = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText || "");
    return found ? found[1] : xhr.statusText || "no reason given";
  }

  function sendToBucket(item, ticket) {
    return new Promise((resolve) => {
      const data = new FormData();
      for (const [name, value] of Object.entries(ticket.fields)) data.append(name, value);
      data.append("file", item.file); // S3 ignores every field after the file: it goes last
      const xhr = new XMLHttpRequest();
      item.xhr = xhr;
      xhr.open("POST", ticket.url);
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) setProgress(item, event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        item.xhr = null;
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(true);
        } else {
          setState(item, "error", `The bucket refused the upload: ${bucketReason(xhr)} (HTTP ${xhr.status}).`);
          resolve(false);
        }
      });
      xhr.addEventListener("error", () => {
        item.xhr = null;
        setState(item, "error", "The upload failed: the bucket could not be reached.");
        resolve(false);
      });
      xhr.addEventListener("abort", () => {
        item.xhr = null;
        setState(item, "cancelled", "Upload cancelled.");
        resolve(false);
      });
      item.progress.hidden = false;
      setProgress(item, 0);
      xhr.send(data);
    });
  }

  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  async function follow(item, statusUrl) {
    const deadline = Date.now() + POLL_GIVE_UP_MS;
    let delay = POLL_FIRST_MS;
    while (Date.now() < deadline) {
      await sleep(delay);
      delay = Math.min(POLL_MAX_MS, delay * 1.5);
      let response;
      try {
        response = await fetch(statusUrl, { cache: "no-store" });
      } catch {
        // a dropped poll is retried; the image keeps processing meanwhile
        setState(item, "processing", "Uploaded. picset cannot be reached right now; still trying…");
        continue;
      }
      if (response.status === 202) continue;
      if (response.ok) return response.json();
      if (response.status === 404) return { status: "lost" };
      setState(item, "processing", `Uploaded. The status check failed (HTTP ${response.status}); still trying…`);
    }
    return { status: "slow" };
  }

  async function upload(item, openWhenReady) {
    lock(item);
    item.cancel.hidden = false;
    setState(item, "requesting", "Asking for an upload ticket…");
    const ticket = await requestTicket(item);
    if (!ticket || item.cancelled) {
      item.cancel.hidden = true;
      return;
    }
    const sent = await sendToBucket(item, ticket);
    item.cancel.hidden = true;
    if (!sent) return;
    remember({ id: ticket.id, name: item.file.name, page: ticket.page_url, at: Date.now() });
    setState(item, "processing", "Uploaded. Processing…");
    item.link.href = ticket.page_url;
    item.link.hidden = false;
    const manifest = await follow(item, ticket.status_url);
    if (manifest.status === "ready") {
      setState(item, "ready", `Ready: ${manifest.width} × ${manifest.height}, ${manifest.variants.length} variants.`);
      if (openWhenReady) window.location.assign(ticket.page_url);
    } else if (manifest.status === "failed") {
      setState(item, "failed", `Processing failed: ${manifest.error.message}`);
      item.link.textContent = "See details";
      item.link.setAttribute("aria-label", `See why ${item.file.name} failed`);
    } else if (manifest.status === "slow") {
      setState(item, "processing", "Still processing. Its page will show the image when it is done.");
    } else {
      setState(item, "error", "picset lost track of this upload. Please upload it again.");
    }
  }

  function loadRecent() {
    try {
      const stored = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch {
      return []; // storage disabled or a broken value: start a fresh list
    }
  }

  function remember(entry) {
    const list = [entry, ...loadRecent().filter((old) => old.id !== entry.id)].slice(0, RECENT_MAX);
    try {
      localStorage.setItem(RECENT_KEY, JSON.stringify(list));
    } catch {
      // private mode or full storage: the list is a convenience, the upload goes on
    }
    showRecent();
  }

  function showRecent() {
    const list = loadRecent();
    recentList.replaceChildren(...list.map((entry) => {
      const when = new Date(entry.at);
      return element("li", {},
        element("a", { href: entry.page, text: entry.name }), " ",
        element("time", { datetime: when.toISOString(), text: when.toLocaleString() }));
    }));
    document.getElementById("recent-note").textContent = list.length
      ? "Kept in this browser only."
      : "None yet. Uploads made from this browser are listed here.";
    forget.hidden = list.length === 0;
  }

  forget.addEventListener("click", () => {
    try { localStorage.removeItem(RECENT_KEY); } catch { /* nothing stored to remove */ }
    showRecent();
  });

  input.addEventListener("change", () => {
    addFiles(input.files);
    input.value = ""; // so choosing the same file again adds it again
  });

  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
  });
  // A file dropped beside the zone would make the browser open it and leave the page
  // (and the uploads in flight): take it as if it had been dropped on the zone.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => {
    event.preventDefault();
    if (drop.contains(event.target)) return;
    if (event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const batch = items.filter((item) => ["queued", "needs-alt"].includes(item.li.dataset.state));
    if (!batch.length) {
      summary.textContent = "Choose at least one photo first.";
      return;
    }
    // Nothing goes until every photo has alt text or is marked decorative, so a missing
    // one is never uploaded with none (and one ready photo does not leave the page).
    const missing = batch.filter((item) => altOf(item) === null);
    if (missing.length) {
      for (const item of missing) {
        item.altInput.setAttribute("aria-invalid", "true");
        setState(item, "needs-alt", NEEDS_ALT);
      }
      summary.textContent = missing.length === 1
        ? "One photo needs alt text or \u201cDecorative\u201d."
        : `${missing.length} photos need alt text or \u201cDecorative\u201d.`;
      missing[0].altInput.focus();
      return;
    }
    summary.textContent = "";
    // One photo: go on to its page when it is ready. Several: stay and link each one.
    const busy = ["requesting", "uploading", "processing"];
    const openWhenReady = batch.length === 1 && !items.some((item) => busy.includes(item.li.dataset.state));
    for (const item of batch) upload(item, openWhenReady);
  });

  // The page as the signed-in person (or nobody) sees it. `message` goes above the form.
  function showSession(message = "", isError = false) {
    const current = session.current();
    signInForm.hidden = Boolean(current);
    signedIn.hidden = !current;
    locked.hidden = Boolean(current);
    input.disabled = !current;
    who.textContent = current ? current.username : "";
    signInMessage.textContent = message;
    signInMessage.classList.toggle("error", isError);
    refresh();
  }

  function markInvalid(field, invalid) {
    if (invalid) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }

  signInForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = username.value.trim();
    markInvalid(username, !name);
    markInvalid(password, !password.value);
    if (!name || !password.value) {
      showSession("Enter your user name and your password.", true);
      (name ? password : username).focus();
      return;
    }
    signInButton.disabled = true;
    signInButton.textContent = "Signing in…";
    try {
      await session.signIn(signInForm.dataset.api, name, password.value);
      password.value = "";
      markInvalid(password, false);
      showSession();
      input.focus(); // the form is gone: go on to choosing photos
    } catch (error) {
      password.value = "";
      markInvalid(password, true);
      showSession(error.message, true);
      password.focus();
    } finally {
      signInButton.disabled = false;
      signInButton.textContent = "Sign in";
    }
  });

  signOut.addEventListener("click", () => {
    session.clear();
    showSession("You are signed out.");
    username.focus();
  });

  showSession();
  showRecent();
})();
