/**
 * The always-visible header: is this phone online, did the last sync work, how long ago the last
 * successful sync was (kept across failed rounds: "5 分钟前同步"), how many changes wait in the outbox, who
 * is recording (a tap switches member), and the 同步 button. Nothing of a member stays once nobody is
 * unlocked. Tests read its data attributes:
 *   data-syncing="true|false", data-sync-rounds (finished rounds since page load),
 *   data-sync-asked / data-sync-answered (taps on 同步, and the last tap whose round is over; app.js),
 *   net-status[data-state=online|offline|syncing|failed|signedout], unsynced-count[data-count],
 *   last-sync[data-at] (ms of the last successful sync, absent when none),
 *   data-sync-phase (a first sync: open | history | done; none before it) and data-sync-usable="true" once
 *   the households and the open work are stored (the first sync's history may still be coming), and
 *   sync-progress (how far a first sync is).
 */

import { t } from '../i18n/index.js';
import { h, replaceChildren } from './dom.js';

/** The age text is redrawn this often, so "刚刚同步" becomes "1 分钟前同步" with no sync round. */
const AGE_TICK_MS = 30_000;

/**
 * @typedef {object} HeaderState
 * @property {boolean} enrolled      a member is unlocked
 * @property {string} [memberName]
 * @property {'unknown' | 'ok' | 'needed' | 'failed'} [auth]
 * @property {boolean} online        navigator.onLine
 * @property {boolean} syncing
 * @property {{at: number, ok: boolean, code?: string} | null} last   the last round, whatever its outcome
 * @property {number | null} [lastOk]  when a round last succeeded (ms)
 * @property {number} unsynced      outbox entries, pending and rejected
 * @property {number} rounds
 * @property {{phase: string, received: number, total: number} | null} [progress]  a snapshot (meta "snapshot")
 */

/**
 * What to say of a first sync under way, or null: its open work coming (N/M), or its history (percent).
 * @param {HeaderState['progress']} progress
 */
export function progressText(progress) {
  if (!progress || (progress.phase !== 'open' && progress.phase !== 'history')) return null;
  const total = Math.max(progress.total, progress.received, 1);
  if (progress.phase === 'open') return t('header.firstSyncOpen', { done: progress.received, total });
  return t('header.firstSyncHistory', { percent: Math.min(99, Math.floor((100 * progress.received) / total)) });
}

/**
 * @param {HeaderState} state
 * @returns {'online' | 'offline' | 'syncing' | 'failed' | 'signedout'}
 */
export function netState({ online, syncing, last, auth }) {
  if (syncing) return 'syncing';
  if (!online || (last && !last.ok && last.code === 'network')) return 'offline';
  if (auth === 'needed' || auth === 'failed') return 'signedout';
  if (last && !last.ok) return 'failed';
  return 'online';
}

/**
 * How long ago the last successful sync was: 刚刚同步, N 分钟前同步, N 小时前同步, N 天前同步.
 * @param {number | null | undefined} at  ms
 * @param {number} now  ms
 */
export function syncAge(at, now) {
  if (!at) return t('header.neverSynced');
  const minutes = Math.floor(Math.max(0, now - at) / 60_000);
  if (minutes < 1) return t('header.syncedNow');
  if (minutes < 60) return t('header.syncedMinutes', { n: minutes });
  if (minutes < 24 * 60) return t('header.syncedHours', { n: Math.floor(minutes / 60) });
  return t('header.syncedDays', { n: Math.floor(minutes / (24 * 60)) });
}

/**
 * @param {{onSync: () => void, onSwitch: () => void, now?: () => number}} handlers
 */
export function createAppHeader({ onSync, onSwitch, now = Date.now }) {
  const net = h('span', { class: 'net', testid: 'net-status' });
  const unsynced = h('span', { class: 'unsynced', testid: 'unsynced-count' });
  const last = h('span', { class: 'last-sync', testid: 'last-sync' });
  const progress = h('span', { class: 'sync-progress', testid: 'sync-progress' });
  const button = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', class: 'sync-button', testid: 'sync-button', onclick: onSync })
  );
  const who = h('button', { type: 'button', class: 'who', testid: 'current-member', onclick: onSwitch });
  const brand = h('span', { class: 'brand' }, h('img', { src: '/icons/icon-192.png', alt: '', width: 28, height: 28 }));
  const brandName = h('span', { class: 'brand-name' });
  brand.append(brandName);
  const el = h(
    'header',
    { class: 'app-header', testid: 'app-header' },
    h('div', { class: 'bar' }, brand, who, button),
    h('div', { class: 'status-line', role: 'status' }, net, unsynced, last, progress),
  );
  /** @type {number | null} */
  let lastOk = null;

  function showAge() {
    last.textContent = syncAge(lastOk, now());
    if (lastOk) last.dataset.at = String(lastOk);
    else delete last.dataset.at;
  }
  setInterval(() => {
    if (!last.hidden) showAge();
  }, AGE_TICK_MS);

  /** @param {HeaderState} state */
  function update(state) {
    const current = netState(state);
    el.dataset.syncing = String(state.syncing);
    el.dataset.syncRounds = String(state.rounds);
    const phase = state.enrolled ? (state.progress?.phase ?? 'none') : 'none';
    el.dataset.syncPhase = phase;
    el.dataset.syncUsable = String(state.enrolled && (phase === 'none' ? Boolean(state.lastOk) : phase !== 'open'));
    const under = state.enrolled ? progressText(state.progress) : null;
    progress.hidden = under === null;
    progress.textContent = under ?? '';
    brandName.textContent = t('app.name');
    net.dataset.state = current;
    replaceChildren(net, h('span', { class: 'dot', 'aria-hidden': 'true' }), t(`net.${current}`));
    for (const part of [unsynced, last, who, button]) part.hidden = !state.enrolled;
    if (!state.enrolled) {
      // Locked: nothing of the last member may stay on screen for the next person.
      lastOk = null;
      unsynced.textContent = '';
      unsynced.dataset.count = '0';
      unsynced.classList.remove('has-unsynced');
      who.textContent = '';
      who.removeAttribute('aria-label');
      showAge();
      last.textContent = '';
      return;
    }
    unsynced.dataset.count = String(state.unsynced);
    unsynced.classList.toggle('has-unsynced', state.unsynced > 0);
    unsynced.textContent = state.unsynced > 0 ? t('header.unsynced', { n: state.unsynced }) : t('header.allSynced');
    lastOk = state.lastOk ?? null;
    showAge();
    who.textContent = `${state.memberName ?? ''} ⇄`;
    who.title = t('members.switch');
    who.setAttribute('aria-label', `${state.memberName ?? ''} · ${t('members.switch')}`);
    button.disabled = state.syncing;
    button.textContent = state.syncing ? t('net.syncing') : `⟳ ${t('sync.button')}`;
  }

  return { el, update };
}
