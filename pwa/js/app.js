/**
 * The member's phone app 联户: boots from IndexedDB (works with no signal at all), routes between the
 * screens, keeps the header current, and decides when to sync: on start, when the phone comes back
 * online, every 60 s while open and visible, after each save, and when the member taps 同步.
 */

import { createApi } from './api.js';
import * as db from './db.js';
import { enrollDevice, requestPersistence } from './enrollment.js';
import { errorMessage, setLang, t } from './i18n/index.js';
import { parseRoute } from './router.js';
import { createSyncer } from './sync-client.js';
import { createAppHeader } from './ui/app-header.js';
import { enrollScreen } from './ui/enroll-screen.js';
import { householdList } from './ui/household-list.js';
import { meScreen } from './ui/me-screen.js';
import { tabBar } from './ui/tab-bar.js';
import { showToast } from './ui/toast.js';
import { visitForm } from './ui/visit-form.js';
import { visitList } from './ui/visit-list.js';

const SYNC_EVERY_MS = 60_000;

/**
 * What screens get from the app.
 * @typedef {object} Ctx
 * @property {typeof db} db
 * @property {{token: string | null, member: any, device: any, grids: any[]}} session
 * @property {() => number} now              this phone's idea of the server's time (ms)
 * @property {(hash: string) => void} navigate
 * @property {() => void} changed            local data changed: refresh the header and the screen
 * @property {(manual?: boolean) => void} requestSync
 * @property {(lang: string) => void} switchLanguage
 */

/**
 * @typedef {{el: HTMLElement, refresh?: () => Promise<void>, onNetwork?: () => void}} Screen
 */

const session = { token: /** @type {string | null} */ (null), member: null, device: null, grids: [] };
let serverOffset = 0;

const api = createApi({
  token: () => session.token,
  onServerTime: (serverTime, receivedAt) => {
    serverOffset = serverTime - receivedAt;
    db.setMeta({ serverOffset }).catch(() => {});
  },
});

/** @type {import('./ui/app-header.js').HeaderState} */
const headerState = { enrolled: false, online: navigator.onLine, syncing: false, last: null, unsynced: 0, rounds: 0 };
const header = createAppHeader({ onSync: () => requestSync(true) });
Object.assign(header.el.dataset, { syncAsked: '0', syncAnswered: '0' });
const view = /** @type {HTMLElement} */ (document.getElementById('view'));
const tabs = /** @type {HTMLElement} */ (document.getElementById('tabs'));

/** @type {Screen | null} */
let current = null;
let renderCount = 0;

const syncer = createSyncer({
  api,
  db,
  now: () => Date.now(),
  onChange: async ({ running, last }) => {
    headerState.syncing = running;
    if (!running) {
      headerState.last = last;
      await loadSession();
      await current?.refresh?.();
      if (last?.code === 'unauthenticated') showToast(errorMessage(last), 'error', 6000);
      headerState.rounds += 1;
    }
    await updateHeader();
  },
});

/** @type {Ctx} */
const ctx = {
  db,
  session,
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
    await db.setMeta({ lang: setLang(lang) });
    await updateHeader();
    await render();
  },
};

let asked = 0;

/**
 * @param {boolean} [manual]  tapped by the member: sync even if the phone thinks it is offline (it can be
 *   wrong), and report the outcome. The header's data-sync-answered then reaches data-sync-asked, which
 *   is how the e2e tests know that the round they asked for is over.
 */
function requestSync(manual = false) {
  if (!session.token || (!manual && !navigator.onLine)) return;
  if (!manual) {
    syncer.run();
    return;
  }
  const ticket = ++asked;
  header.el.dataset.syncAsked = String(ticket);
  syncer.run().then(() => {
    const last = headerState.last;
    showToast(last?.ok ? t('sync.done') : t('sync.failed', { reason: errorMessage(last ?? {}) }), last?.ok ? 'info' : 'error');
    header.el.dataset.syncAnswered = String(ticket);
  });
}

async function loadSession() {
  const meta = await db.getMetaMany(['token', 'member', 'device', 'grids', 'serverOffset']);
  Object.assign(session, {
    token: meta.token ?? null,
    member: meta.member ?? null,
    device: meta.device ?? null,
    grids: meta.grids ?? [],
  });
  serverOffset = meta.serverOffset ?? serverOffset;
  headerState.enrolled = Boolean(session.token);
}

async function updateHeader() {
  headerState.online = navigator.onLine;
  headerState.unsynced = headerState.enrolled ? await db.countOutbox() : 0;
  header.update(headerState);
}

async function render() {
  const count = ++renderCount;
  const route = parseRoute(location.hash);
  /** @type {Screen} */
  let screen;
  if (!session.token) {
    screen = enrollScreen({ prefill: route.enrollCode ?? '', enroll });
  } else if (route.name === 'enroll') {
    history.replaceState(null, '', '#/households');
    screen = await householdList(ctx);
  } else if (route.name === 'visits') {
    screen = await visitList(ctx);
  } else if (route.name === 'visit-new' || route.name === 'visit-edit') {
    screen = await visitForm(ctx, route);
  } else if (route.name === 'me') {
    screen = await meScreen(ctx);
  } else {
    screen = await householdList(ctx);
  }
  if (count !== renderCount) return; // the member navigated on while this screen was loading
  current = screen;
  view.replaceChildren(screen.el);
  const showTabs = Boolean(session.token) && !route.name.startsWith('visit-');
  tabs.hidden = !showTabs;
  tabs.replaceChildren(...(showTabs ? [tabBar(route.name === 'enroll' ? 'households' : route.name)] : []));
  document.title = t('app.name');
  window.scrollTo(0, 0);
}

/**
 * @param {string} code
 * @param {string} label
 */
async function enroll(code, label) {
  const enrolled = await enrollDevice({ api, db }, code, label);
  await loadSession();
  showToast(t('enroll.welcome', { name: enrolled.member.name }));
  history.replaceState(null, '', '#/households');
  await updateHeader();
  await render();
  requestSync();
}

function onNetworkChange() {
  updateHeader();
  current?.onNetwork?.();
  if (navigator.onLine) requestSync();
}

async function start() {
  const meta = await db.getMetaMany(['lang', 'lastSync', 'persisted']);
  setLang(meta.lang);
  headerState.last = meta.lastSync ?? null;
  await loadSession();
  document.body.prepend(header.el);
  await updateHeader();
  await render();
  window.addEventListener('hashchange', render);
  window.addEventListener('online', onNetworkChange);
  window.addEventListener('offline', onNetworkChange);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') requestSync();
  });
  setInterval(() => {
    if (document.visibilityState === 'visible') requestSync();
  }, SYNC_EVERY_MS);
  if (session.token) {
    requestSync();
    if (!meta.persisted) db.setMeta({ persisted: await requestPersistence() });
  }
}

start().catch((error) => {
  console.error('lianhu: start failed', error);
  view.textContent = t('error.unknown', { message: String(error?.message ?? error) });
});
