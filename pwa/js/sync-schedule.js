/**
 * When to try a sync round again after one failed, with no `online` event to say the signal is back:
 * a phone in a stairwell often keeps a "connected" radio that carries nothing, and its browser never
 * fires `online` when the packets start flowing again.
 *
 *   - Backoff: after a round that failed for a reason that may pass (no answer at all, a 5xx, 429), the
 *     next round runs 2 s later, then 4 s, 8 s … at most 60 s apart, each ±25 % at random so that a
 *     street's phones do not all come back in the same second; a successful round starts again at 2 s.
 *     A failure that waiting does not fix (401: log in first; a rejected op) schedules nothing.
 *   - Background Sync: the same failure, while the browser knows it is offline, registers the tag
 *     "lianhu-outbox" where the browser has it (Chromium), so the browser wakes the service worker when
 *     it sees the network back, even with the app in the background; the worker asks the open pages to
 *     sync (sw.js says why it cannot send the sealed outbox itself) and a page answers through
 *     `answerSyncRequests`.
 *
 * The app's other triggers stay as they were: after unlock and login, on `online`, on becoming visible,
 * every 60 s while visible, after each save and on 同步.
 */

export const RETRY_FIRST_MS = 2_000;
export const RETRY_MAX_MS = 60_000;
export const RETRY_JITTER = 0.25;
export const SYNC_TAG = 'lianhu-outbox';
/** The window event register-sw.js turns a service worker's "sync now" message into. */
export const SYNC_REQUEST_EVENT = 'lianhu-sync-request';

/**
 * The wait before retry number `attempt` (0 for the first retry after a failure).
 * @param {number} attempt
 * @param {() => number} [random]
 */
export function retryDelay(attempt, random = Math.random) {
  const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, attempt));
  const jittered = base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random());
  return Math.round(Math.min(RETRY_MAX_MS, jittered));
}

/**
 * Whether a failed round is worth trying again unchanged: no answer (NetworkError) or an answer that
 * says "later" (ApiError 5xx / 429). Anything else needs someone to act first.
 * @param {unknown} error
 */
export function isTransient(error) {
  const e = /** @type {any} */ (error);
  if (!e) return false;
  if (e.name === 'NetworkError') return true;
  return e.name === 'ApiError' && Boolean(e.retryable);
}

/**
 * @typedef {object} RetryDeps
 * @property {() => unknown} run                 start a round (the syncer's run)
 * @property {() => Promise<boolean>} [alive]    false once the member is locked: retries stop for good
 * @property {(fn: () => void, ms: number) => any} [setTimer]
 * @property {(timer: any) => void} [clearTimer]
 * @property {() => number} [random]
 * @property {() => void} [registerBackground]   ask the platform for a Background Sync (best effort)
 */

/**
 * The backoff of one syncer. `roundStarted` cancels a pending retry (a round is running anyway);
 * `roundEnded(error)` resets after a success (`error` null) or schedules the next retry.
 * @param {RetryDeps} deps
 */
export function createRetry({
  run,
  alive = async () => true,
  setTimer = (fn, ms) => {
    const timer = /** @type {any} */ (setTimeout(fn, ms));
    timer?.unref?.(); // Node (tests): a pending retry does not keep the process alive
    return timer;
  },
  clearTimer = (timer) => clearTimeout(timer),
  random = Math.random,
  registerBackground = () => {},
}) {
  let attempt = 0;
  /** @type {any} */
  let timer = null;
  let stopped = false;
  /** @type {number | null} */
  let nextDelay = null;

  function cancel() {
    if (timer !== null) clearTimer(timer);
    timer = null;
    nextDelay = null;
  }

  return {
    roundStarted: cancel,
    /** @param {unknown} error  null: the round succeeded */
    roundEnded(error) {
      cancel();
      if (stopped) return;
      if (!error) {
        attempt = 0;
        return;
      }
      if (!isTransient(error)) return;
      registerBackground();
      nextDelay = retryDelay(attempt, random);
      attempt += 1;
      timer = setTimer(async () => {
        timer = null;
        nextDelay = null;
        if (stopped) return;
        // A member locked meanwhile must not get a round: its keys are gone, and its /api/me check could
        // disturb the next member's session on a shared tablet.
        if (!(await alive().catch(() => false))) {
          stopped = true;
          return;
        }
        run();
      }, nextDelay);
    },
    stop() {
      stopped = true;
      cancel();
    },
    /** The wait before the pending retry (null: none pending); for tests and the curious. */
    get pending() {
      return nextDelay;
    },
  };
}

/**
 * Registers the Background Sync tag where the browser supports it, and only while the browser itself
 * says it is offline: it fires `sync` as soon as it thinks it is online, so a registration made online
 * would fire at once, fail again and register again — a loop with no backoff at all. Online-but-nothing-
 * gets-through is the backoff's case. Never throws.
 * @param {any} [container]  navigator.serviceWorker
 * @param {boolean} [online]  navigator.onLine
 */
export function registerBackgroundSync(container = globalThis.navigator?.serviceWorker, online = globalThis.navigator?.onLine) {
  if (!container?.ready || online !== false) return;
  Promise.resolve(container.ready)
    .then((registration) => registration?.sync?.register(SYNC_TAG))
    .catch(() => {});
}

/**
 * Lets this syncer answer the service worker's "sync now" (a Background Sync event): claims the window
 * event register-sw.js dispatches, runs a round and answers {ok} on the message port. A syncer whose
 * member has been locked stops listening and leaves the answer to another.
 * @param {{run: () => Promise<unknown>, alive: () => Promise<boolean>, target?: any}} deps
 * @returns {() => void} stop listening
 */
export function answerSyncRequests({ run, alive, target = globalThis }) {
  if (typeof target?.addEventListener !== 'function') return () => {};
  /** @param {any} event */
  async function onRequest(event) {
    const port = event.detail?.port;
    event.preventDefault(); // claimed: register-sw.js then leaves the answer to us
    if (!(await alive().catch(() => false))) {
      target.removeEventListener(SYNC_REQUEST_EVENT, onRequest);
      return;
    }
    const result = await run();
    port?.postMessage({ ok: result !== null && result !== undefined });
  }
  target.addEventListener(SYNC_REQUEST_EVENT, onRequest);
  return () => target.removeEventListener(SYNC_REQUEST_EVENT, onRequest);
}
