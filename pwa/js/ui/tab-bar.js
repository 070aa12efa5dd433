/** The bottom navigation between the three main screens. */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

const TABS = [
  { route: 'households', href: '#/households', icon: '⌂', label: 'tabs.households' },
  { route: 'visits', href: '#/visits', icon: '✎', label: 'tabs.visits' },
  { route: 'me', href: '#/me', icon: '☰', label: 'tabs.me' },
];

/**
 * @param {string} active  the current route name
 */
export function tabBar(active) {
  return h(
    'nav',
    { class: 'tab-bar', testid: 'tab-bar' },
    TABS.map((tab) =>
      h(
        'a',
        {
          href: tab.href,
          class: tab.route === active ? 'tab active' : 'tab',
          testid: `tab-${tab.route}`,
          'aria-current': tab.route === active ? 'page' : null,
        },
        h('span', { class: 'tab-icon', 'aria-hidden': 'true' }, tab.icon),
        h('span', { class: 'tab-label' }, t(tab.label)),
      ),
    ),
  );
}
