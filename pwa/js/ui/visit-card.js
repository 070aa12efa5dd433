/**
 * One visit 走访 in the records list: date, sync status (待同步 / 已同步 / 被拒绝 with the reason),
 * household, 未遇, items, notes, co-visitors, and the author when it is not me. Tapping opens it for
 * editing; a rejected change offers to send it again or to discard it.
 */

import { t } from '../i18n/index.js';
import { h } from './dom.js';
import { syncStatusParts } from './sync-status.js';

/**
 * @typedef {object} VisitCardProps
 * @property {import('../visits.js').VisitView} visit
 * @property {import('../visits.js').SyncStatus} status
 * @property {any} [household]
 * @property {string | null} authorName   null when the author is me
 * @property {string | null} editorName   who made the last winning edit, when not me and not the author
 * @property {string[]} [coVisitorNames]  同行人员
 * @property {() => void} onRetry
 * @property {() => void} onDiscard
 */

/**
 * @param {VisitCardProps} props
 */
export function visitCard({ visit, status, household, authorName, editorName, coVisitorNames = [], onRetry, onDiscard }) {
  const excerpt = visit.notes ?? t('visits.noNotes');
  const { badge, rejection } = syncStatusParts({ status, prefix: 'visit', onRetry, onDiscard });
  const main = h(
    'a',
    { class: 'visit-main', href: `#/visits/${visit.id}`, testid: 'visit-open' },
    h('div', { class: 'row' }, h('span', { class: 'date', testid: 'visit-date-text' }, visit.date ?? ''), badge),
    h(
      'div',
      { class: 'household' },
      household ? `${household.address} · ${household.head}` : visit.household,
    ),
    (visit.notHome || visit.items.length > 0) &&
      h(
        'div',
        { class: 'chips' },
        visit.notHome && h('span', { class: 'chip not-home', testid: 'visit-not-home' }, t('visits.notHome')),
        visit.items.map((item) => h('span', { class: 'chip item' }, t(`items.${item}`))),
      ),
    h('p', { class: visit.notes ? 'notes' : 'notes empty', testid: 'visit-notes-text' }, excerpt),
    visit.request && h('p', { class: 'request' }, t('visits.request', { text: visit.request })),
    coVisitorNames.length > 0 &&
      h('p', { class: 'author', testid: 'visit-co-visitors' }, t('visits.coVisitors', { names: coVisitorNames.join('、') })),
    authorName && h('p', { class: 'author', testid: 'visit-author' }, t('visit.author', { name: authorName })),
    editorName && h('p', { class: 'author', testid: 'visit-editor' }, t('visit.editor', { name: editorName })),
  );
  return h(
    'article',
    { class: `card visit-card is-${status.status}`, testid: 'visit-item', dataset: { id: visit.id, status: status.status } },
    main,
    rejection,
  );
}
