/**
 * Live alarms: keeps the alarms list of /console/alarms current without a reload. The page works without
 * this (a plain list as of when it was loaded); with it, the server's event stream (server-sent events,
 * `event: alarms`) sends the list's HTML again whenever it changes — a record a phone syncs shows within
 * about a second — and this swaps it in. The HTML is the server's own template output (autoescaped, same
 * origin), parsed inertly with DOMParser: nothing in it runs.
 *
 *   [data-live]       the element to keep current; its value is the stream's URL
 *   [data-testid=live-status]  says whether updates are live (aria-live, so screen readers hear it)
 */

const root = /** @type {HTMLElement | null} */ (document.querySelector('[data-live]'));
const status = /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="live-status"]'));

/** @param {'on' | 'off'} state */
function say(state) {
  if (!root || !status) return;
  status.dataset.state = state;
  status.textContent = (state === 'on' ? root.dataset.liveOn : root.dataset.liveOff) ?? '';
}

if (root && root.dataset.live && 'EventSource' in window) {
  const source = new EventSource(root.dataset.live);
  let updates = 0;
  source.addEventListener('open', () => say('on'));
  source.addEventListener('alarms', (event) => {
    const html = /** @type {MessageEvent<string>} */ (event).data;
    const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
    root.replaceChildren(...parsed.body.childNodes);
    updates += 1;
    root.dataset.updates = String(updates);
    say('on');
  });
  // The session ended (logged out elsewhere): stop, and say the list is no longer live.
  source.addEventListener('end', () => {
    source.close();
    say('off');
  });
  // A dropped connection: the browser reconnects by itself (the stream's retry: 2 s); a refused one
  // (the stream answered 401/403) closes for good.
  source.addEventListener('error', () => say(source.readyState === EventSource.CLOSED ? 'off' : 'on'));
}
