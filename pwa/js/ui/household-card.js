/**
 * One household 户 in the list: address, head, care level (in words, not colour alone), tags, and whether
 * its visit is due or overdue. Tapping the card opens the household page; its 记走访 button starts a visit
 * with the household already chosen.
 */

import { t } from '../i18n/index.js';
import { careLevel } from '../households.js';
import { h } from './dom.js';

/**
 * @param {string} tag
 */
export function tagLabel(tag) {
  const key = `tag.${tag}`;
  const label = t(key);
  return label === key ? tag : label;
}

/** A care level as a badge: a colour dot and its name 橙色/黄色/蓝色/绿色. @param {any} household */
export function careBadge(household) {
  const care = careLevel(household);
  return h(
    'span',
    { class: `care-badge care-${care}`, testid: 'care-level', dataset: { care } },
    h('span', { class: 'care-dot', 'aria-hidden': 'true' }),
    t(`care.${care}`),
  );
}

/** @param {string[] | null | undefined} tags */
export function tagChips(tags) {
  return (tags ?? []).length > 0
    ? h('div', { class: 'chips' }, (tags ?? []).map((tag) => h('span', { class: `chip tag-${tag}` }, tagLabel(tag))))
    : null;
}

/**
 * "逾期 3 天" / "尚未走访" / "12-07 前走访"
 * @param {import('../households.js').CadenceStatus} status
 */
export function visitStatusText(status) {
  if (!status.lastVisit) return t('households.neverVisited');
  if (status.overdue) return t('households.overdueDays', { n: status.daysOverdue });
  return t('households.dueBy', { date: status.due ?? '' });
}

/**
 * @param {{household: any, status: import('../households.js').CadenceStatus}} props
 */
export function householdCard({ household, status }) {
  const href = `#/households/${encodeURIComponent(household.id)}`;
  return h(
    'article',
    { class: `card household-card${status.overdue ? ' is-overdue' : ''}`, testid: 'household-item', dataset: { id: household.id, overdue: String(status.overdue) } },
    h(
      'a',
      { class: 'household-main', href, testid: 'household-open' },
      h('div', { class: 'row top' }, h('span', { class: 'address', testid: 'household-address' }, household.address), careBadge(household)),
      h('div', { class: 'head', testid: 'household-head' }, household.head),
      tagChips(household.tags),
    ),
    h(
      'div',
      { class: 'row foot' },
      h(
        'span',
        { class: status.overdue ? 'visit-status overdue' : 'visit-status', testid: 'household-visit-status' },
        visitStatusText(status),
        status.lastVisit ? h('span', { class: 'muted' }, ` · ${t('households.lastVisit', { date: status.lastVisit.slice(5) })}`) : null,
      ),
      h(
        'a',
        { class: 'button secondary visit-button', href: `#/visits/new?household=${encodeURIComponent(household.id)}`, testid: 'household-visit' },
        t('households.visit'),
      ),
    ),
  );
}
