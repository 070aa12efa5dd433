/**
 * One record of any type in a list (curtain check, request, mediation…): its type and day, sync status,
 * household, a summary from record-kinds.js, a flag for its state (已办结, 已超期, 窗帘已拉开…), and who
 * recorded it when it is not me. Tapping opens its screen; a rejected change offers retry or discard.
 */

import { t } from '../i18n/index.js';
import { householdText } from '../record-context.js';
import { KINDS } from '../record-kinds.js';
import { recordDate } from '../record-view.js';
import { h } from './dom.js';
import { syncStatusParts } from './sync-status.js';

/**
 * @param {{view: import('../record-view.js').RecordView, status: import('../visits.js').SyncStatus,
 *          rc: import('../record-context.js').RecordContext, now: number, onRetry: () => void, onDiscard: () => void}} props
 */
export function recordCard({ view, status, rc, now, onRetry, onDiscard }) {
  const kind = KINDS[view.type];
  const { title, lines, flag } = kind.summary(view, rc, now);
  const { badge, rejection } = syncStatusParts({ status, prefix: 'record', onRetry, onDiscard });
  const author = view.author !== null && view.author !== rc.member?.id ? rc.nameOf(view.author) : null;
  const main = h(
    'a',
    { class: 'visit-main', href: kind.href(view), testid: 'record-open' },
    h('div', { class: 'row' }, h('span', { class: 'date' }, recordDate(view)), badge),
    h('p', { class: 'record-title', testid: 'record-title' }, title),
    h('div', { class: 'household' }, householdText(rc.households.get(view.household), view.household)),
    flag && h('p', { class: `record-flag tone-${flag.tone}`, testid: 'record-flag' }, flag.text),
    lines.filter(Boolean).map((line) => h('p', { class: 'notes' }, line)),
    author && h('p', { class: 'author', testid: 'record-author' }, t('visit.author', { name: author })),
  );
  return h(
    'article',
    { class: `card visit-card record-card is-${status.status}`, testid: 'record-item', dataset: { id: view.id, type: view.type, status: status.status } },
    main,
    rejection,
  );
}
