// picset's processing page: poll the status API and reload once the image is finished,
// so the page turns into the picture page (or the failed page) by itself.
// Polls back off (1 s, then 1.5x up to 10 s), so a page left open costs little; after the
// server's processing bound (data-timeout-ms, plus a minute) the page stops and says so.
// The status API answers "failed" with code "timeout" itself after that bound, so the
// page normally ends on that answer first. An error answer (5xx) or a dropped
// connection is shown in words and tried again, never taken for an answer.
"use strict";

(() => {
  const status = document.getElementById("status");
  const url = status.dataset.statusUrl;
  const FIRST_MS = 1000;
  const MAX_MS = 10000;
  const deadline = Date.now() + Number(status.dataset.timeoutMs || 0) + 60000;
  let delay = FIRST_MS;

  function say(text) {
    status.textContent = text;
  }

  async function poll() {
    let response;
    try {
      response = await fetch(url, { cache: "no-store" });
    } catch {
      say("picset cannot be reached right now; still trying…");
    }
    if (response) {
      if (response.status === 200 || response.status === 404) {
        window.location.reload(); // ready, failed or gone: the server renders that page
        return;
      }
      if (response.status !== 202) {
        say(`picset answered with an error (HTTP ${response.status}); still trying…`);
      }
    }
    if (Date.now() >= deadline) {
      status.dataset.status = "gave_up";
      say("This image is taking far longer than it should. Reload this page later, or upload it again.");
      return;
    }
    delay = Math.min(MAX_MS, delay * 1.5);
    setTimeout(poll, delay);
  }

  setTimeout(poll, FIRST_MS);
})();
