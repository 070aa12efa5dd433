/**
 * The always-visible header: is this phone online, did the last sync work, how many changes wait in
 * the outbox, who is recording (a tap switches member), and the 同步 button. Tests read its data
 * attributes:
 *   data-syncing="true|false", data-sync-rounds (finished rounds since page load),
 *   data-sync-asked / data-sync-answered (taps on 同步, and the last tap whose round is over; app.js),
 *   net-status[data-state=online|offline|syncing|failed|signedout], unsynced-count[data-count].
 */

import { formatTime, t } from '../i18n/index.js';
import { h, replaceChildren } from './dom.js';

/**
 * @typedef {object} HeaderState
 * @property {boolean} enrolled      a member is unlocked
 * @property {string} [memberName]
 * @property {'unknown' | 'ok' | 'needed' | 'failed'} [auth]
 * @property {boolean} online        navigator.onLine
 * @property {boolean} syncing
 * @property {{at: number, ok: boolean, code?: string} | null} last
 * @property {number} unsynced      outbox entries, pending and rejected
 * @property {number} rounds
 */

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
 * @param {{onSync: () => void, onSwitch: () => void}} handlers
 */
export function createAppHeader({ onSync, onSwitch }) {
  const net = h('span', { class: 'net', testid: 'net-status' });
  const unsynced = h('span', { class: 'unsynced', testid: 'unsynced-count' });
  const last = h('span', { class: 'last-sync', testid: 'last-sync' });
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
    h('div', { class: 'status-line' }, net, unsynced, last),
  );

  /** @param {HeaderState} state */
  function update(state) {
    const current = netState(state);
    el.dataset.syncing = String(state.syncing);
    el.dataset.syncRounds = String(state.rounds);
    brandName.textContent = t('app.name');
    net.dataset.state = current;
    replaceChildren(net, h('span', { class: 'dot', 'aria-hidden': 'true' }), t(`net.${current}`));
    unsynced.hidden = !state.enrolled;
    unsynced.dataset.count = String(state.unsynced);
    unsynced.classList.toggle('has-unsynced', state.unsynced > 0);
    unsynced.textContent = state.unsynced > 0 ? t('header.unsynced', { n: state.unsynced }) : t('header.allSynced');
    last.hidden = !state.enrolled;
    last.textContent = state.last?.ok
      ? t('header.lastSync', { time: formatTime(state.last.at) })
      : state.last
        ? ''
        : t('header.neverSynced');
    who.hidden = !state.enrolled;
    who.textContent = `${state.memberName ?? ''} ⇄`;
    who.title = t('members.switch');
    who.setAttribute('aria-label', `${state.memberName ?? ''} · ${t('members.switch')}`);
    button.hidden = !state.enrolled;
    button.disabled = state.syncing;
    button.textContent = state.syncing ? t('net.syncing') : `⟳ ${t('sync.button')}`;
  }

  return { el, update };
}
