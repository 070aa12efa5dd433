/**
 * The member screens, loaded when first shown (issue 8: an app shell that draws at once). The page needs
 * only the start screens (enroll, 选择成员, PIN) and the app frame before its first paint; every screen
 * behind the PIN (router.js MEMBER_ROUTES) comes with `import()` from here, so the start page does not
 * wait for ~40 modules it cannot use yet. Their stylesheet (css/records.css: records, curtain checks,
 * requests, mediation, the cards that Today and a household show) comes with the first of them, before it
 * is drawn.
 *
 * Offline: the server follows these `import('./…')` calls when it lists the service worker's precache
 * (server/routes/pwa.py `shell_files`, which also takes the quoted '/css/…' path below), so every screen
 * and what it imports is cached at install, and the modulepreload list of index.html leaves them out
 * (`first_screen_modules`).
 *
 * `prefetchScreens` loads them all after the first screen is drawn: the first tap on a tab then opens at
 * once, and the page's module map holds one version of the app. That is why a page the service worker
 * serves loads them at once: a new version of the app that installs while the page is open takes over
 * (sw.js: skipWaiting + claim) and replaces the cache; a screen module fetched after that would be the new
 * one, next to the old modules of the running page (an import of a name the old module does not export).
 * Served from the worker's cache, the whole app is loaded long before an update has downloaded its files.
 * On the first visit (no worker yet) they come from the network, a moment later: the start page first.
 */

/**
 * A screen: draws into `el`, may redraw itself after a sync or a save.
 * @typedef {{el: HTMLElement, refresh?: () => Promise<void>, onNetwork?: () => void}} Screen
 * @typedef {(ctx: any, route: any) => Promise<Screen>} ScreenFn
 */

const visitForm = () => import('./ui/visit-form.js').then((m) => m.visitForm);
const mediationForm = () => import('./ui/mediation-form.js').then((m) => m.mediationForm);

/** Route name → the screen's module, imported once. @type {Record<string, () => Promise<ScreenFn>>} */
const LOADERS = {
  today: () => import('./ui/today-screen.js').then((m) => m.todayScreen),
  households: () => import('./ui/household-list.js').then((m) => m.householdList),
  household: () => import('./ui/household-page.js').then((m) => m.householdPage),
  'household-edit': () => import('./ui/household-edit.js').then((m) => m.householdEdit),
  visits: () => import('./ui/visit-list.js').then((m) => m.visitList),
  'visit-new': visitForm,
  'visit-edit': visitForm,
  me: () => import('./ui/me-screen.js').then((m) => m.meScreen),
  // records: curtain checks, requests, mediation (issue 6)
  curtain: () => import('./ui/curtain-round.js').then((m) => m.curtainRoundScreen),
  'curtain-check': () => import('./ui/curtain-check.js').then((m) => m.curtainCheckScreen),
  'request-new': () => import('./ui/request-form.js').then((m) => m.requestForm),
  request: () => import('./ui/request-view.js').then((m) => m.requestView),
  'mediation-new': mediationForm,
  'mediation-edit': mediationForm,
  mediation: () => import('./ui/mediation-view.js').then((m) => m.mediationView),
};

const STYLESHEET = '/css/records.css';
/** @type {Promise<void> | null} */
let styled = null;

/** The member screens' stylesheet, added once after app.css (the order index.html had) and awaited. */
function memberStyles() {
  styled ??= new Promise((resolve, reject) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = STYLESHEET;
    link.onload = () => resolve();
    link.onerror = () => {
      link.remove();
      styled = null; // try again with the next screen
      reject(new Error(`stylesheet ${STYLESHEET} not loaded`));
    };
    document.head.append(link);
  });
  return styled;
}

/**
 * The screen function of a member route (Today for a name no screen has), its stylesheet applied.
 * @param {string} name
 * @returns {Promise<ScreenFn>}  rejects when a file cannot be fetched (offline with no service worker)
 */
export async function loadScreen(name) {
  const [draw] = await Promise.all([(LOADERS[name] ?? LOADERS.today)(), memberStyles()]);
  return draw;
}

/** On a first visit, how long after the first screen the background loading starts. */
const FIRST_VISIT_AFTER_MS = 3000;

/**
 * Load every member screen (and their stylesheet) in the background, after the first screen was drawn.
 * Served by the service worker: all at once from its cache, when the browser is first idle (see the top of
 * this file). First visit: a few seconds later, once the start page has painted and settled (on a slow
 * link its own files come first; meanwhile the service worker installs and usually has the app cached by
 * then, so the files come from its cache), one screen at a time, each when the browser is idle, so no long
 * task holds the page while the member types a code. Failures are left for `loadScreen` to report when the
 * screen is asked for.
 * @returns {Promise<void>}
 */
export async function prefetchScreens() {
  const loads = [memberStyles, ...new Set(Object.values(LOADERS))];
  if (navigator.serviceWorker?.controller) {
    await idle();
    await Promise.all(loads.map((load) => load().catch(() => {})));
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, FIRST_VISIT_AFTER_MS));
  for (const load of loads) {
    await idle();
    await load().catch(() => {});
  }
}

function idle() {
  return new Promise((resolve) => {
    if ('requestIdleCallback' in globalThis) requestIdleCallback(() => resolve(undefined), { timeout: 1000 });
    else setTimeout(resolve, 50);
  });
}
