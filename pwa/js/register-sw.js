// Registers the service worker. A classic script of its own (not inline, so a Content-Security-Policy
// without 'unsafe-inline' allows it; not in app.js, so the app shell is cached even if a module fails).
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error) => {
      console.warn('lianhu: service worker not registered', error);
    });
  });
}
