/**
 * Short-lived messages at the bottom of the screen ("已保存，待同步"). An error stays twice as long: it
 * is read, not glanced at. Messages are always finished text (t() with its parameters, errorMessage()):
 * never a template.
 */

import { h } from './dom.js';

/** @type {HTMLElement | null} */
let host = null;

/**
 * @param {string} message
 * @param {'info' | 'error'} [kind]
 * @param {number} [ms]
 */
export function showToast(message, kind = 'info', ms = kind === 'error' ? 6000 : 3000) {
  if (!host) {
    host = h('div', { class: 'toasts', 'aria-live': 'polite' });
    document.body.append(host);
  }
  host.replaceChildren(); // one message at a time: a newer one makes the older one stale
  const toast = h('div', { class: `toast toast-${kind}`, testid: 'toast', role: kind === 'error' ? 'alert' : 'status' }, message);
  host.append(toast);
  setTimeout(() => toast.remove(), ms);
}
