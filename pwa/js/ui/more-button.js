/**
 * "显示更多": a long list (a grid-station tablet holds 85,000 records and 20,000 households) draws its first
 * items at once and the rest a page at a time, on a tap — drawing every card would keep the screen blank
 * for many seconds.
 *
 * The button is one element for the life of its screen, kept outside the list it extends: lists are drawn
 * again whenever a sync brings something (during a first sync, every few seconds), and a button drawn anew
 * between a finger's press and its lift would swallow the tap.
 */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

/** How many items a list draws at first, and how many more each tap adds. */
export const LIST_PAGE = 200;

/**
 * @param {() => void} onMore
 * @returns {{el: HTMLElement, show: (hidden: number) => void}}  ``show`` says how many items are not drawn
 *   yet (the button hides itself when none are)
 */
export function moreButton(onMore) {
  const el = h('button', { type: 'button', class: 'secondary more', testid: 'list-more', onclick: onMore });
  return {
    el,
    show(hidden) {
      el.hidden = hidden <= 0;
      el.textContent = hidden > 0 ? t('list.more', { n: hidden }) : '';
    },
  };
}
