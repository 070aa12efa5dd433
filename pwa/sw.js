/**
 * The 联户 service worker: the whole app shell in one versioned cache, so the app opens in a stairwell
 * with no signal. The server replaces the string below with {"version": hash of the pwa files,
 * "urls": every file of the app}, so any change to any file is a new cache.
 *
 * Only the app's files are served from the cache (cache first). /api/ is never intercepted: the app
 * itself decides what to do offline (the outbox), and a cached API answer would be a lie.
 */

/** @type {{version: string, urls: string[]} | string} */
const MANIFEST = "__PRECACHE_MANIFEST__";
// Served straight from the file (no server substitution): cache only the shell page.
const { version, urls } = typeof MANIFEST === 'string' ? { version: 'dev', urls: ['/'] } : MANIFEST;
const CACHE_PREFIX = 'lianhu-static-';
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const CACHE = CACHE_PREFIX + version;
const SHELL = new Set(urls);

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // reload: fetch past the HTTP cache, or an old file could be stored under the new version.
      await cache.addAll(urls.map((url) => new Request(url, { cache: 'reload' })));
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
