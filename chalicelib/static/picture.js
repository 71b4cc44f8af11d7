// picset's picture page: clear the placeholder once the image has loaded (a transparent
// image must not keep it behind), say which source the browser picked (currentSrc) and
// at what width, again whenever it picks another (a resize, a zoom), and copy the markup.
"use strict";

(() => {
  const img = document.querySelector("#picture img");
  const current = document.getElementById("current");
  const LABELS = { avif: "AVIF", webp: "WebP", jpg: "JPEG", png: "PNG", gif: "GIF" };

  function describe() {
    if (!img.complete || !img.naturalWidth) return;
    img.classList.add("loaded");
    const source = img.currentSrc;
    // Variant keys end in <width>w.<ext> (chalicelib/keys.py), whatever host serves them.
    const found = /\/(\d+)w\.([a-z]+)(?:[?#].*)?$/.exec(source);
    const format = found ? LABELS[found[2]] || found[2].toUpperCase() : "unknown format";
    const width = found ? Number(found[1]) : img.naturalWidth;
    const slot = Math.round(img.getBoundingClientRect().width);
    current.dataset.format = found ? found[2] : "";
    current.dataset.width = String(width);
    current.dataset.src = source;
    current.textContent = `${format}, ${width} px wide, for ${slot} CSS px at ${window.devicePixelRatio}× density`;
    current.title = source;
  }

  // `load` fires again each time the browser switches to another source.
  img.addEventListener("load", describe);
  img.addEventListener("error", () => {
    current.textContent = "the image failed to load";
  });
  describe();
  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(describe);
  });

  const copy = document.getElementById("copy");
  const embed = document.getElementById("embed");
  const copied = document.getElementById("copied");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(embed.value);
      copied.textContent = "Copied to the clipboard.";
    } catch {
      // No clipboard access (an insecure page, a denied permission): select the text so
      // Ctrl+C / Cmd+C copies it.
      embed.focus();
      embed.select();
      copied.textContent = "Selected: press Ctrl+C (or ⌘C) to copy.";
    }
  });
})();
