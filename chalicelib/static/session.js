// picset's sign-in state, shared by the upload page and "My images": the one place that
// knows where the access token is kept and how it is sent.
//
// The token lives in sessionStorage: it survives a reload of the tab, is gone when the tab
// closes and is never shared with another tab, and only this script sends it, to this
// app's own API. The pages allow scripts from the app alone (`script-src 'self'`), so
// only an XSS could read it, and an XSS could equally read a token held in memory. The
// refresh token is not kept: when the access token expires the person signs in again.
"use strict";

window.picsetSession = (() => {
  const KEY = "picset.session";
  // Forget the token this many ms before the API would refuse it, so a request is not
  // sent with a token that expires on the way.
  const MARGIN_MS = 30000;
  // Where storage is disabled the session lives only as long as the page.
  let memory = null;

  function read() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(KEY) || "null");
      if (!stored || typeof stored.token !== "string" || typeof stored.username !== "string") {
        return null;
      }
      if (typeof stored.expiresAt === "number" && Date.now() > stored.expiresAt - MARGIN_MS) {
        clear();
        return null;
      }
      return stored;
    } catch {
      return null; // storage disabled or a broken value: signed out
    }
  }

  function save(username, answer) {
    const session = {
      username,
      token: answer.token,
      expiresAt: Date.now() + Number(answer.expires_in || 3600) * 1000,
    };
    try {
      sessionStorage.setItem(KEY, JSON.stringify(session));
    } catch {
      // storage disabled: the page keeps the session until it is left
    }
    memory = session;
    return session;
  }

  function clear() {
    memory = null;
    try { sessionStorage.removeItem(KEY); } catch { /* nothing stored to remove */ }
  }

  function current() {
    return read() || memory;
  }

  // The headers of an API request made for the signed-in person.
  function headers(extra = {}) {
    const session = current();
    return session ? { ...extra, Authorization: `Bearer ${session.token}` } : { ...extra };
  }

  // Sign in through the app's `POST api/session`. Resolves to the session, or rejects
  // with an Error whose message is fit to show.
  async function signIn(url, username, password) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password }),
      });
    } catch {
      throw new Error("Could not reach picset to sign in. Check the connection and try again.");
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok || !answer || !answer.token) {
      const reason = answer && answer.error ? answer.error.message : `HTTP ${response.status}`;
      throw new Error(`Not signed in: ${reason}`);
    }
    return save(username, answer);
  }

  // The API's message of an error answer, or a fallback naming the HTTP status.
  async function reason(response) {
    const answer = await response.json().catch(() => null);
    return answer && answer.error && answer.error.message
      ? answer.error.message
      : `HTTP ${response.status}`;
  }

  // "Try again in 2 hours (at 14:05)." from a Retry-After header (seconds or a date).
  function retryText(header) {
    if (!header) return "";
    const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
    if (!Number.isFinite(seconds)) return "";
    const at = new Date(Date.now() + Math.max(0, seconds) * 1000);
    const minutes = Math.max(1, Math.ceil(seconds / 60));
    const wait = minutes < 90 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${Math.round(minutes / 60)} hours`;
    const clock = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return `Try again in ${wait} (at ${clock}).`;
  }

  return { current, clear, headers, signIn, reason, retryText };
})();
