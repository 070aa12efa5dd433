/**
 * "显示更多": a long list (a grid-station tablet holds 85,000 records and 20,000 households) draws its first
 * items at once and the rest a page at a time, on a tap — drawing every card would keep the screen blank
 * for many seconds.
 */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

/** How many items a list draws at first, and how many more each tap adds. */
export const LIST_PAGE = 200;

/**
 * @param {number} hidden  items not drawn yet
 * @param {() => void} onMore
 * @returns {HTMLElement | null}  nothing when all are drawn
 */
export function moreButton(hidden, onMore) {
  if (hidden <= 0) return null;
  return h('button', { type: 'button', class: 'secondary more', testid: 'list-more', onclick: onMore }, t('list.more', { n: hidden }));
}
