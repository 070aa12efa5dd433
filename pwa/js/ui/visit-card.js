/**
 * One visit 走访 in the recent list: date, sync status (待同步 / 已同步 / 被拒绝 with the reason),
 * household, items, notes, and the author when it is not me. Tapping opens it for editing; a rejected
 * change offers to send it again or to discard it.
 */

import { rejectionReason, t } from '../i18n/index.js';
import { h } from './dom.js';

/**
 * @typedef {object} VisitCardProps
 * @property {import('../visits.js').VisitView} visit
 * @property {import('../visits.js').SyncStatus} status
 * @property {any} [household]
 * @property {string | null} authorName   null when the author is me
 * @property {string | null} editorName   who made the last winning edit, when not me and not the author
 * @property {() => void} onRetry
 * @property {() => void} onDiscard
 */

/**
 * @param {VisitCardProps} props
 */
export function visitCard({ visit, status, household, authorName, editorName, onRetry, onDiscard }) {
  const excerpt = visit.notes ?? t('visits.noNotes');
  const main = h(
    'a',
    { class: 'visit-main', href: `#/visits/${visit.id}`, testid: 'visit-open' },
    h(
      'div',
      { class: 'row' },
      h('span', { class: 'date', testid: 'visit-date-text' }, visit.date ?? ''),
      h(
        'span',
        { class: `badge status-${status.status}`, testid: 'visit-status', dataset: { status: status.status } },
        t(`status.${status.status}`),
      ),
    ),
    h(
      'div',
      { class: 'household' },
      household ? `${household.address} · ${household.head}` : visit.household,
    ),
    visit.items.length > 0 &&
      h('div', { class: 'chips' }, visit.items.map((item) => h('span', { class: 'chip item' }, t(`items.${item}`)))),
    h('p', { class: visit.notes ? 'notes' : 'notes empty', testid: 'visit-notes-text' }, excerpt),
    visit.request && h('p', { class: 'request' }, t('visits.request', { text: visit.request })),
    authorName && h('p', { class: 'author', testid: 'visit-author' }, t('visit.author', { name: authorName })),
    editorName && h('p', { class: 'author', testid: 'visit-editor' }, t('visit.editor', { name: editorName })),
  );
  const rejection =
    status.status === 'rejected' &&
    h(
      'div',
      { class: 'rejection', testid: 'visit-rejection' },
      h('p', { class: 'reason', testid: 'visit-rejection-reason', dataset: { code: status.code } }, rejectionReason(status)),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', testid: 'visit-retry', onclick: onRetry }, t('visits.retry')),
        h('button', { type: 'button', class: 'danger', testid: 'visit-discard', onclick: onDiscard }, t('visits.discard')),
      ),
    );
  return h(
    'article',
    { class: `card visit-card is-${status.status}`, testid: 'visit-item', dataset: { id: visit.id, status: status.status } },
    main,
    rejection,
  );
}
