// Registers the service worker. A classic script of its own (not inline, so a Content-Security-Policy
// without 'unsafe-inline' allows it; not in app.js, so the app shell is cached even if a module fails).
//
// It also passes the worker's "sync now" (a Background Sync event, see sw.js) to the app as the window
// event "lianhu-sync-request" with the reply port; the unlocked member's syncer claims it
// (sync-schedule.js answerSyncRequests). Unclaimed — nobody unlocked — the answer is "not synced" at once,
// so the browser tries again later.
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error) => {
      console.warn('lianhu: service worker not registered', error);
    });
  });
  navigator.serviceWorker.addEventListener('message', (message) => {
    if (message.data?.type !== 'lianhu-sync') return;
    const port = message.ports[0];
    const request = new CustomEvent('lianhu-sync-request', { cancelable: true, detail: { port } });
    if (window.dispatchEvent(request)) port?.postMessage({ ok: false });
  });
  navigator.serviceWorker.startMessages();
}
