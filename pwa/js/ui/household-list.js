/** My households 我的住户: the households of my grids, with a search box. */

import { t } from '../i18n/index.js';
import { lastVisitDates, searchHouseholds, sortHouseholds, visitView } from '../visits.js';
import { h, replaceChildren } from './dom.js';
import { householdCard, tagLabel } from './household-card.js';

/**
 * @param {{db: import('../db.js').MemberVerbs}} ctx
 */
export async function householdList({ db }) {
  let households = /** @type {any[]} */ ([]);
  let lastVisits = new Map();
  let query = '';

  const search = h('input', {
    type: 'search',
    class: 'search',
    testid: 'household-search',
    placeholder: t('households.search'),
    'aria-label': t('households.search'),
    oninput: (/** @type {Event} */ event) => {
      query = /** @type {HTMLInputElement} */ (event.target).value;
      draw();
    },
  });
  const count = h('p', { class: 'muted count', testid: 'household-count' });
  const list = h('div', { class: 'list', testid: 'household-list' });

  function draw() {
    const shown = searchHouseholds(households, query, tagLabel);
    count.textContent = query.trim()
      ? t('households.countFiltered', { n: shown.length, total: households.length })
      : t('households.count', { n: households.length });
    if (households.length === 0) {
      replaceChildren(list, h('p', { class: 'empty' }, t('households.empty')));
    } else if (shown.length === 0) {
      replaceChildren(list, h('p', { class: 'empty' }, t('households.noMatch')));
    } else {
      replaceChildren(
        list,
        shown.map((household) => householdCard({ household, lastVisit: lastVisits.get(household.id) })),
      );
    }
  }

  async function refresh() {
    const [all, visits] = await Promise.all([db.listHouseholds(), db.listRecords('visit')]);
    households = sortHouseholds(all);
    lastVisits = lastVisitDates(visits.map(visitView));
    draw();
  }

  await refresh();
  const el = h(
    'section',
    { class: 'screen households-screen', testid: 'households-screen' },
    h('h1', null, t('households.title')),
    h('div', { class: 'search-bar' }, search, count),
    list,
  );
  // Only the list is redrawn when a sync brings news, so the search box keeps its text and focus.
  return { el, refresh };
}
