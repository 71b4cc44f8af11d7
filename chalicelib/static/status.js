// picset's processing page: poll the status API and reload once the image is finished,
// so the page turns into the picture page (or the failed page) by itself.
"use strict";

(() => {
  const status = document.getElementById("status");
  const url = status.dataset.statusUrl;
  const POLL_MS = 1000;

  async function poll() {
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (response.status !== 202) {
        window.location.reload();
        return;
      }
    } catch {
      // a dropped poll is simply tried again
    }
    setTimeout(poll, POLL_MS);
  }

  setTimeout(poll, POLL_MS);
})();
