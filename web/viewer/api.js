// The local server's read API. The token travels as the HttpOnly cookie the server set when
// the viewer URL was opened; answers carry an ETag, so a poll of unchanged data costs a 304.

/** The API refused the request: no or wrong viewer token. */
export class Unauthorized extends Error {}

/**
 * GETs an API path. Returns `{etag, data}`, or null for 404.
 * @param {string} path
 * @returns {Promise<{etag: string | null, data: any} | null>}
 */
export async function get(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.status === 401) throw new Unauthorized((await response.json().catch(() => ({}))).error ?? "401");
  if (response.status === 404) return null;
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(`${path}: HTTP ${response.status}${body.error ? ` — ${body.error}` : ""}`);
  }
  return { etag: response.headers.get("etag"), data: await response.json() };
}

/** Poll period while a page is open, in milliseconds. */
export const POLL_MS = 2000;

/**
 * Calls `onData(data)` with the answer of `path` now and whenever it changes, every `POLL_MS`
 * while `keepGoing()` is true. Returns a function that stops the polling.
 * @param {string} path
 * @param {(data: any) => void} onData
 * @param {{onError?: (e: Error) => void, keepGoing?: () => boolean, onPoll?: () => void}} [options]
 */
export function poll(path, onData, options = {}) {
  let stopped = false;
  let timer = 0;
  let lastEtag = /** @type {string | null | undefined} */ (undefined);
  const tick = async () => {
    try {
      // The browser revalidates with If-None-Match; an unchanged answer keeps its ETag.
      const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (stopped) return;
      if (response.status === 401) throw new Unauthorized((await response.json().catch(() => ({}))).error ?? "401");
      if (response.status === 404) {
        if (lastEtag !== null) onData(null);
        lastEtag = null;
      } else if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw new Error(`${path}: HTTP ${response.status}${body.error ? ` — ${body.error}` : ""}`);
      } else {
        const etag = response.headers.get("etag");
        if (etag === null || etag !== lastEtag) {
          const data = await response.json();
          if (stopped) return;
          lastEtag = etag;
          onData(data);
        } else {
          await response.body?.cancel();
        }
      }
      options.onPoll?.();
    } catch (e) {
      if (stopped) return;
      options.onError?.(/** @type {Error} */ (e));
      if (e instanceof Unauthorized) return;
    }
    if (!stopped && (options.keepGoing?.() ?? true)) timer = setTimeout(tick, POLL_MS);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
