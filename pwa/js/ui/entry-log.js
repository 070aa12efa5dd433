/**
 * A record's append-only log (an escalation, mediation sessions, a request's steps), oldest first: each
 * entry says what happened, and who recorded it when. Entries from two phones written at the same time
 * both show: the log is merged, never overwritten.
 */

import { formatTime, t } from '../i18n/index.js';
import { h } from './dom.js';

/**
 * @param {{entries: import('../record-view.js').LogEntry[], describe: (entry: import('../record-view.js').LogEntry) => {title: string, lines: string[]},
 *          nameOf: (id: number | null) => string, now: number, testid: string, empty: string}} props
 */
export function entryLog({ entries, describe, nameOf, now, testid, empty }) {
  if (entries.length === 0) return h('p', { class: 'muted log-empty', testid: `${testid}-empty` }, empty);
  return h(
    'ol',
    { class: 'entry-log', testid },
    entries.map((entry) => {
      const { title, lines } = describe(entry);
      const who = entry.author === null ? t('records.me') : nameOf(entry.author);
      return h(
        'li',
        { class: 'entry', testid: `${testid}-entry`, dataset: { id: entry.id } },
        h('p', { class: 'entry-title' }, title),
        lines.filter(Boolean).map((line) => h('p', { class: 'entry-line' }, line)),
        h('p', { class: 'entry-meta' }, t('records.byAt', { name: who, time: formatTime(entry.at, now) })),
      );
    }),
  );
}
