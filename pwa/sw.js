/**
 * The 联户 service worker: the app shell in one versioned cache, so the app opens in a stairwell with no
 * signal. The server replaces the string below with {"version": hash of the shell, "urls": the shell's
 * files, "integrity": {url: "sha256-…"}}, so any change to any of them is a new cache.
 *
 * Installing takes each file from the browser's HTTP cache when it holds exactly that content (the
 * page has usually just downloaded it: no second download on a first visit), else from the network; the
 * integrity check makes sure an old copy is never stored under the new version.
 *
 * Only the app's files are served from the cache (cache first). /api/ is never intercepted: the app
 * itself decides what to do offline (the outbox), and a cached API answer would be a lie.
 *
 * The files are everything the page reaches, the modules it loads later with import() included (the
 * session, every member screen: issue 8), so every screen opens offline. A new version takes over open
 * pages at once (skipWaiting + claim) and drops the old cache; a page that loaded a screen only after that
 * would mix versions, so the app loads all of its screens right after its first one (js/screens.js).
 *
 * Background Sync: the app registers the tag "lianhu-outbox" when a round fails with records still to
 * send. When the browser sees the network back it fires `sync` here, even with the app in the background.
 * The outbox is sealed with the member's keys, which exist only in the memory of an unlocked page, so this
 * worker cannot read or send it: it asks every open page of the app to sync, and tells the browser the
 * sync failed (so it tries again later) unless a page reports a successful round. With no page open there
 * is nothing it can honestly do: the records wait, counted on the start screen, until the member opens
 * the app.
 */

/** @type {{version: string, urls: string[], integrity?: Record<string, string>} | string} */
const MANIFEST = "__PRECACHE_MANIFEST__";
// Served straight from the file (no server substitution): cache only the shell page.
const { version, urls, integrity = {} } = typeof MANIFEST === 'string' ? { version: 'dev', urls: ['/'] } : MANIFEST;
const CACHE_PREFIX = 'lianhu-static-';
const SYNC_TAG = 'lianhu-outbox';
/** How long a page may take to answer "sync now" before the browser is told to try again later. */
const PAGE_SYNC_TIMEOUT_MS = 60_000;
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const CACHE = CACHE_PREFIX + version;
const SHELL = new Set(urls);

/** @param {string} url */
async function fetchExactly(url) {
  const expected = integrity[url];
  if (expected) {
    // The HTTP cache's copy if it is this very content; a mismatch rejects and the network decides.
    const cached = await fetch(url, { cache: 'force-cache', integrity: expected }).catch(() => null);
    if (cached?.ok) return cached;
  }
  // reload: past the HTTP cache. With the integrity, a file that changed again meanwhile fails the install
  // (the next update check starts over) rather than mixing versions in one cache.
  const response = await fetch(url, { cache: 'reload', ...(expected ? { integrity: expected } : {}) });
  if (!response.ok) throw new Error(`precache ${url}: ${response.status}`);
  return response;
}

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await Promise.all(urls.map(async (url) => cache.put(url, await fetchExactly(url))));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE).map((name) => caches.delete(name)),
      );
      // Take over pages opened before this worker existed, so the first visit already works offline.
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== location.origin) return;
  // The app is one page whose screens live in the hash, so every navigation of the app asks for "/".
  const path = request.mode === 'navigate' && url.pathname === '/index.html' ? '/' : url.pathname;
  // Only the app's own files: /api/ and any other page of the site (a coordinator's, say) go to the
  // network untouched.
  if (!SHELL.has(path)) return;
  event.respondWith(
    (async () => {
      const cached = await (await caches.open(CACHE)).match(path);
      return cached ?? fetch(request);
    })(),
  );
});

/**
 * Ask one page to run a sync round; resolves with its answer ({ok}) or {ok: false} after the timeout.
 * @param {Client} client
 * @returns {Promise<{ok: boolean}>}
 */
function askToSync(client) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve({ ok: false }), PAGE_SYNC_TIMEOUT_MS);
    channel.port1.onmessage = (message) => {
      clearTimeout(timer);
      resolve({ ok: Boolean(message.data?.ok) });
    };
    client.postMessage({ type: 'lianhu-sync' }, [channel.port2]);
  });
}

sw.addEventListener('sync', (event) => {
  const syncEvent = /** @type {any} */ (event);
  if (syncEvent.tag !== SYNC_TAG) return;
  syncEvent.waitUntil(
    (async () => {
      const pages = await sw.clients.matchAll({ type: 'window' });
      if (pages.length === 0) return; // nobody holds the keys: nothing to send from here (see above)
      const answers = await Promise.all(pages.map(askToSync));
      // A rejection makes the browser fire `sync` again later, with its own backoff.
      if (!answers.some((answer) => answer.ok)) throw new Error('no page could sync yet');
    })(),
  );
});
