/**
 * My households 我的住户: the households of my grids as this phone shows them (the server's row with any
 * local correction on top), most urgent first — overdue for a visit, then care level orange → green, then
 * address. Filters: care level, tag, only overdue; and a search box. The filters live in the hash
 * (#/households?care=orange&tag=elderly_alone&overdue=1), so Today can link to "only overdue" and going
 * back from a household page finds the list as it was.
 */

import { t } from '../i18n/index.js';
import { cadenceStatus, CARE_LEVELS, filterHouseholds, lastVisits, overlayAll, sortByUrgency, TAGS } from '../households.js';
import { localClock } from '../today.js';
import { searchHouseholds } from '../visits.js';
import { h, replaceChildren } from './dom.js';
import { householdCard, tagLabel } from './household-card.js';
import { LIST_PAGE, moreButton } from './more-button.js';

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{care?: string, tag?: string, overdue?: boolean}} route
 */
export async function householdList(ctx, route) {
  const { db } = ctx;
  let households = /** @type {any[]} */ ([]);
  /** @type {Map<string, import('../households.js').CadenceStatus>} */
  let statuses = new Map();
  const filter = { care: route.care ?? '', tag: route.tag ?? '', overdue: Boolean(route.overdue) };
  let query = '';
  let limit = LIST_PAGE;
  const more = moreButton(() => {
    limit += LIST_PAGE;
    draw();
  });

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
  /**
   * @param {'care' | 'tag'} name @param {string} all @param {readonly string[]} codes
   * @param {(code: string) => string} label
   */
  const select = (name, all, codes, label) =>
    h(
      'select',
      {
        testid: `household-filter-${name}`,
        'aria-label': t(name === 'care' ? 'households.filterCare' : 'households.filterTag'),
        onchange: (/** @type {Event} */ event) => {
          filter[name] = /** @type {HTMLSelectElement} */ (event.target).value;
          changed();
        },
      },
      h('option', { value: '' }, all),
      codes.map((code) => h('option', { value: code, selected: filter[name] === code }, label(code))),
    );
  const care = select('care', t('households.allCare'), CARE_LEVELS, (code) => t(`care.${code}`));
  const tag = select('tag', t('households.allTags'), TAGS, tagLabel);
  const overdue = h('button', {
    type: 'button',
    class: 'toggle',
    testid: 'household-filter-overdue',
    onclick: () => {
      filter.overdue = !filter.overdue;
      changed();
    },
  });
  const count = h('p', { class: 'muted count', testid: 'household-count', role: 'status' });
  const list = h('div', { class: 'list', testid: 'household-list' });
  const statusOf = (/** @type {any} */ household) => /** @type {import('../households.js').CadenceStatus} */ (statuses.get(household.id));

  /** The filters go into the hash without a new history entry or a redraw of the screen. */
  function changed() {
    const params = new URLSearchParams();
    if (filter.care) params.set('care', filter.care);
    if (filter.tag) params.set('tag', filter.tag);
    if (filter.overdue) params.set('overdue', '1');
    const encoded = params.toString();
    const hash = encoded ? `#/households?${encoded}` : '#/households';
    if (location.hash !== hash) history.replaceState(null, '', hash);
    draw();
  }

  function draw() {
    const overdueCount = households.filter((household) => statusOf(household).overdue).length;
    overdue.textContent = t('households.onlyOverdue', { n: overdueCount });
    overdue.setAttribute('aria-pressed', String(filter.overdue));
    const shown = searchHouseholds(filterHouseholds(households, filter, statusOf), query, tagLabel);
    const narrowed = query.trim() !== '' || filter.care !== '' || filter.tag !== '' || filter.overdue;
    count.textContent = narrowed
      ? t('households.countFiltered', { n: shown.length, total: households.length })
      : t('households.count', { n: households.length });
    more.show(shown.length - limit);
    if (households.length === 0) {
      replaceChildren(list, h('p', { class: 'empty' }, t('households.empty')));
    } else if (shown.length === 0) {
      replaceChildren(list, h('p', { class: 'empty' }, t('households.noMatch')));
    } else {
      replaceChildren(list, shown.slice(0, limit).map((household) => householdCard({ household, status: statusOf(household) })));
    }
  }

  async function refresh() {
    const [rows, records, rules] = await Promise.all([db.listHouseholds(), db.listRecords(), db.getMeta('rules')]);
    const today = localClock(ctx.now()).date;
    const visits = lastVisits(records);
    const shown = overlayAll(rows, records);
    statuses = new Map(shown.map((household) => [household.id, cadenceStatus(household, visits.get(household.id), rules?.visit_cadence_days, today)]));
    households = sortByUrgency(shown, statusOf);
    draw();
  }

  await refresh();
  const el = h(
    'section',
    { class: 'screen households-screen', testid: 'households-screen' },
    h('h1', null, t('households.title')),
    h('div', { class: 'search-bar' }, search),
    h('div', { class: 'filters' }, care, tag),
    overdue,
    count,
    list,
    more.el,
  );
  // Only the list is redrawn when a sync brings news, so the search box keeps its text and focus.
  return { el, refresh };
}
