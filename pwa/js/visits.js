/**
 * Home visits 走访 as the screens see them: pure functions from merged record states (docs §3.3) and
 * outbox entries to plain view objects, and from a filled-in form back to the fields of a `set` op
 * (docs §3.4; records.js checks them against the declaration and sends only what changed). No I/O here,
 * so Node tests cover all of it.
 */

/** 四到户: the four things a visit can bring to the door, in the order the form lists them. */
export const VISIT_ITEMS = /** @type {const} */ (['policy', 'safety', 'care', 'opinions']);

export const NOTES_MAX = 5000;
export const REQUEST_MAX = 2000;

/**
 * @typedef {object} VisitView
 * @property {string} id
 * @property {string} household
 * @property {string | null} date
 * @property {string[]} items
 * @property {string | null} notes
 * @property {string | null} request
 * @property {boolean} notHome          未遇: nobody was home
 * @property {number[]} coVisitors      同行人员: member ids
 * @property {number | null} author      who created it
 * @property {number | null} editor      who wrote the newest value still shown (the last edit that won)
 * @property {string} createdClock
 * @property {boolean} deleted
 */

/**
 * @param {any} state  a visit record's merged state
 * @returns {VisitView}
 */
export function visitView(state) {
  const value = (/** @type {string} */ name) => state.fields?.[name]?.value ?? null;
  let first = null;
  let latest = null;
  for (const register of Object.values(state.fields ?? {})) {
    const { overwritten = [], ...winner } = /** @type {any} */ (register);
    if (latest === null || winner.clock > latest.clock) latest = winner;
    for (const write of [winner, ...overwritten]) {
      if (first === null || write.clock < first.clock) first = write;
    }
  }
  const items = value('items');
  const coVisitors = value('co_visitors');
  return {
    id: state.id,
    household: state.household,
    date: value('date'),
    items: Array.isArray(items) ? items : [],
    notes: value('notes'),
    request: value('request'),
    notHome: value('not_home') === true,
    coVisitors: Array.isArray(coVisitors) ? coVisitors : [],
    author: first?.author ?? null,
    editor: latest?.author ?? null,
    createdClock: first?.clock ?? '',
    deleted: state.deleted?.value === true,
  };
}

/**
 * Newest first: by visit date, then by when the record was created.
 * @param {VisitView[]} visits
 */
export function sortVisits(visits) {
  return [...visits].sort(
    (a, b) =>
      (b.date ?? '').localeCompare(a.date ?? '') || b.createdClock.localeCompare(a.createdClock) || a.id.localeCompare(b.id),
  );
}

/**
 * @typedef {{status: 'synced'} | {status: 'pending'} | {status: 'rejected', code: string, message: string, message_zh?: string, seq: number}} SyncStatus
 */

/**
 * A record's sync status from its outbox entries: a rejected op outranks pending ones, because it needs
 * the member's attention and will never go out by itself.
 * @param {any[]} entries  outbox entries of one record
 * @returns {SyncStatus}
 */
export function syncStatus(entries) {
  const rejected = entries.find((entry) => entry.status === 'rejected');
  if (rejected) {
    return {
      status: 'rejected',
      code: rejected.code,
      message: rejected.message,
      message_zh: rejected.message_zh,
      seq: rejected.seq,
    };
  }
  return entries.length > 0 ? { status: 'pending' } : { status: 'synced' };
}

/**
 * @param {any[]} outbox
 * @returns {Map<string, any[]>} record id → its entries, oldest first
 */
export function outboxByRecord(outbox) {
  /** @type {Map<string, any[]>} */
  const byRecord = new Map();
  for (const entry of outbox) {
    const list = byRecord.get(entry.op.record) ?? [];
    list.push(entry);
    byRecord.set(entry.op.record, list);
  }
  return byRecord;
}

/**
 * @typedef {object} VisitForm
 * @property {string} household
 * @property {string} date
 * @property {string[]} items
 * @property {string} notes
 * @property {string} request
 * @property {boolean} [notHome]
 * @property {number[]} [coVisitors]
 */

/**
 * The form as op field values: trimmed text, empty text as null, items in the form's order. 未遇 and
 * co-visitors are sent only when given, so a visit made as before is the same op as before.
 * @param {VisitForm} form
 */
export function formFields(form) {
  const text = (/** @type {string} */ s) => (s.trim() === '' ? null : s.trim());
  /** @type {Record<string, any>} */
  const fields = {
    date: form.date,
    items: VISIT_ITEMS.filter((item) => form.items.includes(item)),
    notes: text(form.notes),
    request: text(form.request),
  };
  if (form.notHome) fields.not_home = true;
  if (form.coVisitors?.length) fields.co_visitors = [...form.coVisitors].sort((a, b) => a - b);
  return fields;
}

/**
 * What stops the form from being saved, as i18n keys (empty: fine).
 * @param {VisitForm} form
 * @returns {string[]}
 */
export function validateForm(form) {
  const problems = [];
  if (!form.household) problems.push('visit.needHousehold');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.date)) problems.push('visit.needDate');
  if (form.notes.trim().length > NOTES_MAX) problems.push('visit.notesTooLong');
  if (form.request.trim().length > REQUEST_MAX) problems.push('visit.requestTooLong');
  return problems;
}

/**
 * The form as the fields of an edit: every field, 未遇 unticked as null and no co-visitors as [], so
 * records.js `changedValues` can tell what changed (a field never written and still blank is no change).
 * @param {VisitForm} form
 */
export function editFields(form) {
  return { ...formFields(form), not_home: form.notHome ? true : null, co_visitors: [...(form.coVisitors ?? [])].sort((a, b) => a - b) };
}

/**
 * The calendar date at `ms` on this phone, "YYYY-MM-DD" (a visit's date is the member's local day).
 * @param {number} ms
 */
export function localDate(ms) {
  const d = new Date(ms);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * Households whose address, head, or tag (code or label) contains every word of the query.
 * @param {any[]} households
 * @param {string} query
 * @param {(tag: string) => string} tagLabel
 */
export function searchHouseholds(households, query, tagLabel) {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return households;
  return households.filter((household) => {
    const tags = household.tags ?? [];
    const haystack = [household.address, household.head, ...tags, ...tags.map(tagLabel)]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

/**
 * Address order as people read it: building, unit, room numbers compared as numbers ("2-10" after "2-9").
 * @param {any[]} households
 */
export function sortHouseholds(households) {
  const collator = new Intl.Collator('zh-CN', { numeric: true });
  return [...households].sort((a, b) => collator.compare(a.address ?? '', b.address ?? ''));
}

/**
 * The latest visit date per household.
 * @param {VisitView[]} visits
 * @returns {Map<string, string>}
 */
export function lastVisitDates(visits) {
  /** @type {Map<string, string>} */
  const latest = new Map();
  for (const visit of visits) {
    if (visit.deleted || !visit.date) continue;
    const known = latest.get(visit.household);
    if (!known || visit.date > known) latest.set(visit.household, visit.date);
  }
  return latest;
}
