/** One household 户 in the list: address, head, care level, tags, last visit; tap to record a visit. */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

/**
 * @param {string} tag
 */
export function tagLabel(tag) {
  const key = `tag.${tag}`;
  const label = t(key);
  return label === key ? tag : label;
}

/**
 * @param {{household: any, lastVisit?: string}} props
 */
export function householdCard({ household, lastVisit }) {
  const care = household.care_level ?? 'green';
  return h(
    'a',
    {
      class: 'card household-card',
      href: `#/visits/new?household=${encodeURIComponent(household.id)}`,
      testid: 'household-item',
      dataset: { id: household.id },
    },
    h(
      'div',
      { class: 'row' },
      h('span', { class: `care-dot care-${care}`, title: t(`care.${care}`), 'aria-label': t(`care.${care}`) }),
      h('span', { class: 'address', testid: 'household-address' }, household.address),
    ),
    h('div', { class: 'head', testid: 'household-head' }, household.head),
    (household.tags ?? []).length > 0 &&
      h(
        'div',
        { class: 'chips' },
        household.tags.map((/** @type {string} */ tag) => h('span', { class: `chip tag-${tag}` }, tagLabel(tag))),
      ),
    h(
      'div',
      { class: 'row foot' },
      h(
        'span',
        { class: lastVisit ? 'last-visit' : 'last-visit never' },
        lastVisit ? t('households.lastVisit', { date: lastVisit }) : t('households.neverVisited'),
      ),
      h('span', { class: 'go' }, `${t('households.visit')} ›`),
    ),
  );
}
