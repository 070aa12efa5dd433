/** The bottom navigation between the four main screens: 今日 / 住户 / 记录 / 我的. */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

const TABS = [
  { route: 'today', href: '#/today', icon: '☀', label: 'tabs.today', also: [] },
  { route: 'households', href: '#/households', icon: '⌂', label: 'tabs.households', also: ['household'] },
  { route: 'visits', href: '#/visits', icon: '✎', label: 'tabs.visits', also: [] },
  { route: 'me', href: '#/me', icon: '☰', label: 'tabs.me', also: [] },
];

/**
 * @param {string} active  the current route name (a household's page counts as 住户)
 */
export function tabBar(active) {
  return h(
    'nav',
    { class: 'tab-bar', testid: 'tab-bar' },
    TABS.map((tab) => {
      const current = tab.route === active || tab.also.includes(active);
      return h(
        'a',
        {
          href: tab.href,
          class: current ? 'tab active' : 'tab',
          testid: `tab-${tab.route}`,
          'aria-current': current ? 'page' : null,
        },
        h('span', { class: 'tab-icon', 'aria-hidden': 'true' }, tab.icon),
        h('span', { class: 'tab-label' }, t(tab.label)),
      );
    }),
  );
}
