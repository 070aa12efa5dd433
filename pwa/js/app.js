/**
 * The member's phone app 联户: boots from IndexedDB (works with no signal at all), decides which screen
 * the hash and the session allow, keeps the header current, and decides when to sync: after unlock and
 * login, when the phone comes back online, every 60 s while open and visible, after each save, and
 * when the member taps 同步.
 *
 * Before a member is unlocked only the directory of members enrolled here is readable: the screens are
 * enrollment, 选择成员 and the PIN. Who is unlocked and logged in lives in session.js.
 *
 * Loading (issue 8): this file statically imports only what draws the start screens and the app frame
 * (header, banner, tab bar), so the page draws its first real screen as soon as that graph has arrived.
 * Then, with `import()`: the session (session.js with the login and the sync client: what the start screens
 * need only once the member acts), right after the first screen; the member screens (screens.js), in the
 * background; the logout dialog, when asked for. The service worker precaches all of it.
 */

import { createApi } from './api.js';
import * as db from './db.js';
import { errorMessage, setLang, t } from './i18n/index.js';
import { HOME, MEMBER_ROUTES, parseRoute } from './router.js';
import { loadScreen, prefetchScreens } from './screens.js';
import { createStartScreens } from './start-screens.js';
import { createAppHeader } from './ui/app-header.js';
import { h } from './ui/dom.js';
import { loginBanner } from './ui/login-banner.js';
import { tabBar } from './ui/tab-bar.js';
import { showToast } from './ui/toast.js';

/** Record forms: full screen, no tab bar (as the visit form). */
const FORM_ROUTES = new Set(['request-new', 'mediation-new', 'mediation-edit']);

const SYNC_EVERY_MS = 60_000;
/** A shared tablet locks its member after this long without a touch: the next person must not read on. */
const SHARED_IDLE_LOCK_MS = 10 * 60_000;

/**
 * What screens get from the app.
 * @typedef {object} Ctx
 * @property {import('./db.js').MemberData} db   the unlocked member's data
 * @property {{member: any, device: any, grids: any[], entry: any}} session
 * @property {(key: string) => Promise<any>} settings
 * @property {() => number} now              this phone's idea of the server's time (ms)
 * @property {(hash: string) => void} navigate
 * @property {() => void} changed            local data changed: refresh the header and the screen
 * @property {(manual?: boolean) => void} requestSync
 * @property {(lang: string) => void} switchLanguage
 * @property {() => void} switchMember
 * @property {() => void} logout
 */

/** @typedef {import('./screens.js').Screen} Screen */

let serverOffset = 0;
const api = createApi({
  onServerTime: (serverTime, receivedAt) => {
    const offset = serverTime - receivedAt;
    const moved = Math.abs(offset - serverOffset) > 1000;
    serverOffset = offset;
    if (moved) state.data?.setMeta({ serverOffset }).catch(() => {});
  },
});

/** @type {import('./ui/app-header.js').HeaderState} */
const headerState = { enrolled: false, online: navigator.onLine, syncing: false, last: null, lastOk: null, unsynced: 0, rounds: 0 };
const header = createAppHeader({ onSync: () => requestSync(true), onSwitch: () => switchMember() });
Object.assign(header.el.dataset, { syncAsked: '0', syncAnswered: '0' });
const banner = h('div', { class: 'banner-host' });
const view = /** @type {HTMLElement} */ (document.getElementById('view'));
const tabs = /** @type {HTMLElement} */ (document.getElementById('tabs'));

/** @type {Screen | null} */
let current = null;
let renderCount = 0;

/** @typedef {import('./session.js').Session} Session */
/** @type {Session | null} */
let session = null;
/**
 * Who is enrolling, unlocked, logged in: the session's state once it exists. Until then nobody is (as in
 * a new session), which is all the start screens read to be drawn.
 * @type {Session['state']}
 */
let state = { entry: null, data: null, member: null, device: null, grids: [], auth: 'unknown', authError: null, enrolling: null, syncer: null };
/** @type {Promise<Session> | null} */
let sessionLoading = null;

/** The session, imported once (after the first screen: `start`); a failed import is tried again. */
function getSession() {
  sessionLoading ??= import('./session.js').then(
    ({ createSession }) => {
      session = createSession({
        api,
        origin: location.origin,
        onSync: async ({ running, last }) => {
          headerState.syncing = running;
          if (!running) {
            headerState.last = last;
            // The header keeps the last success through failed rounds (and reloads): "5 分钟前同步".
            if (last?.ok) await state.data?.setMeta({ lastSyncOk: last.at }).catch(() => {});
            await current?.refresh?.();
            headerState.rounds += 1;
          }
          await updateHeader();
        },
        onChange: () => updateHeader(),
      });
      state = session.state;
      return session;
    },
    (error) => {
      sessionLoading = null;
      throw error;
    },
  );
  return sessionLoading;
}

/** @type {Ctx} */
const ctx = {
  get db() {
    return /** @type {import('./db.js').MemberData} */ (state.data);
  },
  get session() {
    return { member: state.member, device: state.device, grids: state.grids, entry: state.entry };
  },
  settings: (key) => db.getSetting(key),
  now: () => Date.now() + serverOffset,
  navigate: (hash) => {
    if (location.hash === hash) render();
    else location.hash = hash;
  },
  changed: () => {
    updateHeader();
    current?.refresh?.();
  },
  requestSync,
  switchLanguage: async (lang) => {
    await db.setSettings({ lang: setLang(lang) });
    await updateHeader();
    await render();
  },
  switchMember,
  logout,
};

let asked = 0;

/**
 * @param {boolean} [manual]  tapped by the member: sync even if the phone thinks it is offline (it can be
 *   wrong), and report the outcome. The header's data-sync-answered then reaches data-sync-asked, which
 *   is how the e2e tests know that the round they asked for is over.
 */
function requestSync(manual = false) {
  if (!state.syncer || !session) return;
  if (!manual) {
    session.sync();
    return;
  }
  const ticket = ++asked;
  header.el.dataset.syncAsked = String(ticket);
  session.sync(true).then(() => {
    const last = headerState.last;
    showToast(last?.ok ? t('sync.done') : t('sync.failed', { reason: errorMessage(last ?? {}) }), last?.ok ? 'info' : 'error');
    header.el.dataset.syncAnswered = String(ticket);
  });
}

/** The member data whose pulled pages redraw the screen (a first sync fills the app while it is in use). */
let watched = /** @type {any} */ (null);
/** While pages arrive, the header and screen are redrawn at most this often. */
const PAGE_REDRAW_MS = 2000;

function watchData() {
  const data = state.data;
  if (data === watched) return;
  watched = data;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  data?.subscribe?.((/** @type {{remote: boolean}} */ change) => {
    if (!change.remote || timer) return;
    timer = setTimeout(() => {
      timer = null;
      if (state.data !== data) return;
      updateHeader();
      current?.refresh?.();
    }, PAGE_REDRAW_MS);
  });
}

async function updateHeader() {
  watchData();
  const data = state.data;
  const entry = state.entry;
  const [unsynced, meta] = data
    ? await Promise.all([data.countOutbox().catch(() => 0), data.getMetaMany(['lastSync', 'lastSyncOk', 'snapshot']).catch(() => ({}))])
    : [0, /** @type {Record<string, any>} */ ({})];
  // Locked or switched while reading: a newer call draws the header, or the old member's would come back.
  if (state.data !== data) return;
  Object.assign(headerState, { online: navigator.onLine, enrolled: Boolean(data), memberName: entry?.name ?? '', auth: state.auth, unsynced });
  if (!data) Object.assign(headerState, { last: null, lastOk: null, syncing: false, progress: null });
  else {
    headerState.last ??= meta.lastSync ?? null;
    headerState.lastOk = Math.max(meta.lastSyncOk ?? 0, headerState.last?.ok ? headerState.last.at : 0) || null;
    headerState.progress = meta.snapshot ?? null;
  }
  header.update(headerState);
  const shown = state.data && loginBanner({
    auth: state.auth,
    method: state.entry?.method,
    error: state.authError,
    onLogin: () => session?.logIn(),
    onEnroll: () => ctx.navigate('#/enroll'),
  });
  banner.replaceChildren(...(shown ? [shown] : []));
}

async function switchMember() {
  await (await getSession()).lock();
  ctx.navigate('#/members');
}

async function logout() {
  const n = state.data ? await state.data.countOutbox() : 0;
  if (n > 0) {
    const { confirmDialog } = await import('./ui/confirm-dialog.js');
    const sure = await confirmDialog({
      title: t('logout.title'),
      message: t('logout.unsynced', { n }),
      confirm: t('me.logout'),
      cancel: t('visit.cancel'),
      danger: true,
      testid: 'logout-dialog',
    });
    if (!sure) return;
  }
  await (await getSession()).logout();
  ctx.navigate(HOME);
}

const startScreens = createStartScreens({
  api,
  session: getSession,
  navigate: (hash) => ctx.navigate(hash),
  shown: async () => {
    await updateHeader();
    await render();
  },
  requestSync,
});

async function render() {
  const count = ++renderCount;
  let route = parseRoute(location.hash);
  if (state.data && (!MEMBER_ROUTES.has(route.name) || route.fallback) && route.name !== 'enroll') {
    history.replaceState(null, '', HOME);
    route = parseRoute(HOME);
  }
  /** @type {Screen} */
  let screen;
  if (state.enrolling) screen = await startScreens.pinSetup(state.enrolling);
  else if (route.name === 'enroll') screen = await startScreens.enroll(route.enrollCode ?? '');
  else if (!state.data) screen = await startScreens.start(route);
  else {
    const draw = await loadScreen(route.name).catch((error) => {
      // Its module could not be fetched (offline before the service worker had the app): stay where we are.
      if (count === renderCount) showToast(errorMessage(navigator.onLine ? error : { code: 'network' }), 'error');
      return null;
    });
    if (!draw) return;
    screen = await draw(ctx, route);
  }
  if (count !== renderCount) return; // the member navigated on while this screen was loading
  current = screen;
  showFrame();
  view.replaceChildren(screen.el);
  const showTabs = Boolean(state.data) && !state.enrolling && MEMBER_ROUTES.has(route.name) && !route.name.startsWith('visit-') && !FORM_ROUTES.has(route.name) && route.name !== 'household-edit';
  tabs.hidden = !showTabs;
  tabs.replaceChildren(...(showTabs ? [tabBar(route.name)] : []));
  document.title = t('app.name');
  window.scrollTo(0, 0);
}

/**
 * The first screen is ready: the header and the view take the place of index.html's "联户 加载中…" in one
 * frame. Nothing that was painted moves (the loading text goes, the view was hidden), so the first paint
 * costs no layout shift (Lighthouse's CLS).
 */
function showFrame() {
  if (header.el.isConnected) return;
  document.getElementById('loading')?.remove();
  document.body.prepend(header.el);
  header.el.after(banner);
  view.hidden = false;
}

function onNetworkChange() {
  updateHeader();
  current?.onNetwork?.();
  if (navigator.onLine) {
    requestSync();
    session?.reportLockouts().catch(() => {});
    session?.endStraySession().catch(() => {});
  }
}

async function start() {
  setLang(await db.getSetting('lang'));
  await updateHeader();
  await render();
  getSession()
    .then((started) => {
      if (!navigator.onLine) return;
      started.reportLockouts().catch(() => {});
      started.endStraySession().catch(() => {});
    })
    .catch((error) => console.warn('lianhu: session not loaded yet', error));
  prefetchScreens();
  window.addEventListener('hashchange', render);
  window.addEventListener('online', onNetworkChange);
  window.addEventListener('offline', onNetworkChange);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') requestSync();
  });
  setInterval(() => {
    if (document.visibilityState === 'visible') requestSync();
  }, SYNC_EVERY_MS);
  let lastTouch = Date.now();
  for (const event of ['pointerdown', 'keydown']) window.addEventListener(event, () => (lastTouch = Date.now()), true);
  setInterval(() => {
    if (state.entry?.shared && Date.now() - lastTouch > SHARED_IDLE_LOCK_MS) switchMember();
  }, 30_000);
}

start().catch((error) => {
  console.error('lianhu: start failed', error);
  showFrame();
  view.textContent = t('error.unknown', { message: String(error?.message ?? error) });
});
