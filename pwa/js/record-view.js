/**
 * Any record as the screens see it, whatever its type: pure functions from a merged state (docs §3.3) to a
 * plain view — the winning value of each field, each log's entries with who wrote them and when, who
 * created the record and when — plus the rules every list and count obeys: newest first, and a restricted
 * record (矛盾调解) only for those who may read it (§3.4).
 */

import { localDate } from './visits.js';

/**
 * @typedef {object} LogEntry
 * @property {string} id       the op id that appended it
 * @property {any} value
 * @property {number | null} author
 * @property {number} at       when it was written (ms, the wall part of its clock)
 */

/**
 * @typedef {object} RecordView
 * @property {string} id
 * @property {string} type
 * @property {string} household
 * @property {Record<string, any>} values       field → winning value (absent: never written)
 * @property {Record<string, number | null>} by  field → who wrote the winning value
 * @property {Record<string, LogEntry[]>} logs  log → entries in log order (clock, replica, id)
 * @property {number | null} author   who created it (the earliest write)
 * @property {number | null} editor   who wrote the newest field value still shown
 * @property {string} createdClock
 * @property {number} createdMs
 * @property {boolean} deleted
 */

/** @param {string} clock  "lllllllllllllll-ccccc" */
export const clockMs = (clock) => Number(clock.slice(0, 15));

/** A state is never changed once stored (a change is a new state), so its view is made once (db.js keeps
 * the states in memory: every screen after the first finds the views made). */
const views = new WeakMap();

/**
 * @param {any} state  a merged record state
 * @returns {RecordView}  shared: do not modify
 */
export function recordView(state) {
  let view = views.get(state);
  if (!view) {
    view = makeView(state);
    views.set(state, view);
  }
  return view;
}

/** @param {any} state @returns {RecordView} */
function makeView(state) {
  /** @type {any} */
  let first = null;
  /** @type {any} */
  let latest = null;
  /** @type {Record<string, any>} */
  const values = {};
  /** @type {Record<string, number | null>} */
  const by = {};
  for (const [name, register] of Object.entries(state.fields ?? {})) {
    const { overwritten = [], ...winner } = /** @type {any} */ (register);
    values[name] = winner.value;
    by[name] = winner.author ?? null;
    if (latest === null || winner.clock > latest.clock) latest = winner;
    for (const write of [winner, ...overwritten]) if (first === null || write.clock < first.clock) first = write;
  }
  /** @type {Record<string, LogEntry[]>} */
  const logs = {};
  for (const [name, entries] of Object.entries(state.logs ?? {})) {
    logs[name] = /** @type {any[]} */ (entries).map((entry) => ({
      id: entry.id,
      value: entry.value,
      author: entry.author ?? null,
      at: clockMs(entry.clock),
    }));
    for (const entry of /** @type {any[]} */ (entries)) if (first === null || entry.clock < first.clock) first = entry;
  }
  const createdClock = first?.clock ?? '';
  return {
    id: state.id,
    type: state.type,
    household: state.household,
    values,
    by,
    logs,
    author: first?.author ?? null,
    editor: latest?.author ?? null,
    createdClock,
    createdMs: createdClock ? clockMs(createdClock) : 0,
    deleted: state.deleted?.value === true,
  };
}

/**
 * The day a record is about, for sorting and showing: its `date` field when it has one (a visit, a curtain
 * check), else the local day it was created (a request, a mediation).
 * @param {RecordView} view
 */
export function recordDate(view) {
  const date = view.values.date;
  return typeof date === 'string' ? date : view.createdMs ? localDate(view.createdMs) : '';
}

/**
 * Newest first: by day, then by when the record was created.
 * @param {RecordView[]} views
 */
export function sortRecords(views) {
  // Days, clocks and ids are fixed-width ASCII: code-point order is their order, and far quicker than
  // localeCompare on a tablet's 85,000 records.
  const cmp = (/** @type {string} */ a, /** @type {string} */ b) => (a < b ? -1 : a > b ? 1 : 0);
  return views
    .map((view) => ({ view, day: recordDate(view) }))
    .sort((a, b) => cmp(b.day, a.day) || cmp(b.view.createdClock, a.view.createdClock) || cmp(a.view.id, b.view.id))
    .map(({ view }) => view);
}

/**
 * Whether `member` may read the record on this phone (§3.4): a restricted record only by the members its
 * readers field names, its creator and coordinators. The server already withholds the others from pull;
 * this keeps anything that slipped onto the phone (a record created here before a colleague removed me,
 * an op still in the outbox) out of every list and count all the same.
 * @param {any} declaration
 * @param {RecordView} view
 * @param {{id: number, role?: string} | null | undefined} member
 */
export function mayRead(declaration, view, member) {
  const restricted = declaration?.types?.[view.type]?.restricted;
  if (!restricted) return true;
  if (!member) return false;
  if ((declaration.roles?.coordinators ?? []).includes(member.role)) return true;
  const readers = view.values[restricted.readers];
  return view.author === member.id || (Array.isArray(readers) && readers.includes(member.id));
}

/**
 * The records a screen may show or count: readable, not deleted, optionally of some types; newest first.
 * Every list and count of records (a household's page, Today, the records tab) goes through this.
 * @param {any} declaration
 * @param {any[]} states   merged record states
 * @param {{id: number, role?: string} | null | undefined} member
 * @param {{types?: string[], household?: string}} [filter]
 * @returns {RecordView[]}
 */
export function visibleRecords(declaration, states, member, { types, household } = {}) {
  const shown = states
    .filter((state) => (!types || types.includes(state.type)) && (!household || state.household === household))
    .map(recordView)
    .filter((view) => !view.deleted && mayRead(declaration, view, member));
  return sortRecords(shown);
}

/**
 * "HH:MM" on this phone at `ms`.
 * @param {number} ms
 */
export function localTime(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * The moment a local day's "HH:MM" falls on this phone.
 * @param {string} date  YYYY-MM-DD
 * @param {string} time  HH:MM
 */
export function localMs(date, time) {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  return new Date(y, m - 1, d, hh, mm).getTime();
}
