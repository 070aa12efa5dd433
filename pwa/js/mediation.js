/**
 * 矛盾调解, a dispute's mediation notes (和为贵): category, parties, summary, mediators, outcome, next
 * follow-up; each session and follow-up visit an entry of an append-only log. The type is restricted
 * (docs/sync-protocol.md §3.4): only its mediators, its creator and coordinators read it, so every list and
 * count on the phone goes through record-view.js `visibleRecords`.
 *
 * Pure, except the writes, which go through records.js.
 */

import { addEntry, saveRecord } from './records.js';

export const TYPE = 'mediation';

/**
 * The due-list rule (Today): mediations whose next follow-up is today or past, soonest first (a follow-up
 * visit is due after an agreement too).
 * @param {import('./record-view.js').RecordView[]} views  readable mediation views
 * @param {string} today  YYYY-MM-DD on this phone
 */
export function followupsDue(views, today) {
  return views
    .filter((view) => typeof view.values.next_followup === 'string' && view.values.next_followup <= today)
    .sort((a, b) => a.values.next_followup.localeCompare(b.values.next_followup));
}

/**
 * A new mediation, or changes to one (only the fields that changed are sent).
 * @param {any} declaration
 * @param {{household: string, id?: string}} target
 * @param {Record<string, any>} fields
 * @param {import('./records.js').Deps} [deps]
 * @returns {Promise<{id: string, made: boolean}>}
 */
export function saveMediation(declaration, { household, id }, fields, deps) {
  return saveRecord(declaration, { type: TYPE, household, id }, fields, deps);
}

/**
 * A session 调解记录 or a follow-up 回访记录: {date, notes}.
 * @param {any} declaration
 * @param {import('./record-view.js').RecordView} view
 * @param {'sessions' | 'followups'} log
 * @param {{date: string, notes: string}} entry
 * @param {import('./records.js').Deps} [deps]
 */
export function addMediationEntry(declaration, view, log, entry, deps) {
  return addEntry(declaration, { type: TYPE, household: view.household, id: view.id }, log, entry, deps);
}
