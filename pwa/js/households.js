/**
 * Households 户 as the screens see them: pure functions, no I/O, so Node tests cover all of it.
 *
 * - What the phone shows is the server's row (GET /api/households, docs/sync-protocol.md §8) overlaid with
 *   the values of the household's own `household` record on this phone (§3.4): a correction made at the
 *   door shows at once, before it has synced; once the server has merged it, row and record agree.
 * - Visit cadence: each care level 绿蓝黄橙 allows some days without a visit (`rules.visit_cadence_days`
 *   from GET /api/me). A household is overdue the day after its last visit + cadence; one never visited
 *   is overdue at once (三要有: every linked household needs contact records). A visit that found nobody
 *   home (`not_home`) is not a visit for this count.
 * - Key households 重点户: care level other than green, or any tag. They are what 本月已访 counts.
 */

/** The household record's fields, as the server projects them onto its row (server/services/households.py). */
export const HOUSEHOLD_FIELDS = /** @type {const} */ ([
  'head', 'phone', 'residents', 'tags', 'care_level', 'contact_card', 'info_sheet', 'health', 'income',
  'emergency_contact', 'curtain_round', 'covered_by',
]);

/** Most closely followed first: the order of urgency. */
export const CARE_LEVELS = /** @type {const} */ (['orange', 'yellow', 'blue', 'green']);

export const TAGS = /** @type {const} */ ([
  'elderly_alone', 'frail', 'low_income', 'petition_focus', 'left_behind_child', 'disability',
]);

/** What the server answers by default (LIANHU_VISIT_CADENCE_DAYS), for a phone that has not synced rules yet. */
export const DEFAULT_CADENCE_DAYS = Object.freeze({ orange: 7, yellow: 14, blue: 30, green: 90 });

const DAY_MS = 24 * 3600 * 1000;

/** @param {any} household */
export const careLevel = (household) => (CARE_LEVELS.includes(household?.care_level) ? household.care_level : 'green');

/**
 * @param {any} row  a household as GET /api/households gives it
 * @param {any} [record]  this household's `household` record state, if the phone has one
 * @returns {any} the row with the record's current values on top
 */
export function overlayHousehold(row, record) {
  if (!record || record.deleted?.value === true) return row;
  /** @type {Record<string, any>} */
  const values = {};
  for (const name of HOUSEHOLD_FIELDS) {
    if (record.fields && Object.hasOwn(record.fields, name)) values[name] = record.fields[name].value;
  }
  if ('tags' in values && values.tags === null) values.tags = [];
  return { ...row, ...values };
}

/**
 * @param {any[]} rows
 * @param {any[]} records  local records (any type; only `household` ones are used)
 */
export function overlayAll(rows, records) {
  const byHousehold = new Map(records.filter((r) => r.type === 'household').map((r) => [r.household, r]));
  return rows.map((row) => overlayHousehold(row, byHousehold.get(row.id)));
}

/** @param {string} date "YYYY-MM-DD" @param {number} days */
export function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (both "YYYY-MM-DD"). @param {string} from @param {string} to */
export function daysBetween(from, to) {
  const utc = (/** @type {string} */ s) => {
    const [y, m, d] = s.split('-').map(Number);
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((utc(to) - utc(from)) / DAY_MS);
}

/**
 * The last real visit (not deleted, somebody was home) per household, from visit record states.
 * @param {any[]} records  local records (any type; only `visit` ones are used)
 * @returns {Map<string, string>} household id → "YYYY-MM-DD"
 */
export function lastVisits(records) {
  /** @type {Map<string, string>} */
  const latest = new Map();
  for (const record of records) {
    if (!isVisit(record)) continue;
    const date = record.fields.date.value;
    const known = latest.get(record.household);
    if (!known || date > known) latest.set(record.household, date);
  }
  return latest;
}

/** @param {any} record */
export function isVisit(record) {
  return (
    record.type === 'visit' &&
    record.deleted?.value !== true &&
    typeof record.fields?.date?.value === 'string' &&
    record.fields?.not_home?.value !== true
  );
}

/**
 * @typedef {object} CadenceStatus
 * @property {number} cadence        days allowed between visits at this care level
 * @property {string | null} lastVisit
 * @property {string | null} due     the last day the next visit is on time (null: never visited)
 * @property {boolean} overdue
 * @property {number} daysOverdue    0 when on time; for a never-visited household also 0
 */

/**
 * @param {any} household  its `last_visit` (the server's, §8) counts too
 * @param {string | undefined} lastVisit  the latest visit this phone holds
 * @param {Record<string, number> | null | undefined} cadenceDays  rules.visit_cadence_days
 * @param {string} today "YYYY-MM-DD"
 * @returns {CadenceStatus}
 */
export function cadenceStatus(household, lastVisit, cadenceDays, today) {
  const level = careLevel(household);
  const cadence = Number(cadenceDays?.[level] ?? DEFAULT_CADENCE_DAYS[level]);
  // The server's row knows the last visit too (§8): right before a first sync's history has come.
  const known = household?.last_visit;
  if (typeof known === 'string' && (!lastVisit || known > lastVisit)) lastVisit = known;
  if (!lastVisit) return { cadence, lastVisit: null, due: null, overdue: true, daysOverdue: 0 };
  const due = addDays(lastVisit, cadence);
  const late = daysBetween(due, today);
  return { cadence, lastVisit, due, overdue: late > 0, daysOverdue: Math.max(0, late) };
}

/** 重点户: a care level other than green, or any tag. @param {any} household */
export function isKeyHousehold(household) {
  return careLevel(household) !== 'green' || (household.tags ?? []).length > 0;
}

/**
 * The households a member answers for: those linked to them (covered_by), or, when none is, every
 * household of their grids.
 * @param {any[]} households
 * @param {number | null | undefined} memberId
 * @returns {{households: any[], linked: boolean}}
 */
export function myHouseholds(households, memberId) {
  const linked = households.filter((h) => memberId != null && (h.covered_by ?? []).includes(memberId));
  return linked.length > 0 ? { households: linked, linked: true } : { households, linked: false };
}

/**
 * @typedef {object} HouseholdFilter
 * @property {string} [care]      a care level, or '' for all
 * @property {string} [tag]       a tag, or '' for all
 * @property {boolean} [overdue]  only those overdue for their visit
 */

/**
 * @param {any[]} households
 * @param {HouseholdFilter} filter
 * @param {(household: any) => CadenceStatus} statusOf
 */
export function filterHouseholds(households, { care = '', tag = '', overdue = false }, statusOf) {
  return households.filter(
    (h) =>
      (!care || careLevel(h) === care) &&
      (!tag || (h.tags ?? []).includes(tag)) &&
      (!overdue || statusOf(h).overdue),
  );
}

const collator = new Intl.Collator('zh-CN', { numeric: true });

/**
 * By urgency: overdue first, then care level orange → green, then address as people read it
 * ("2-10" after "2-9").
 * @param {any[]} households
 * @param {(household: any) => CadenceStatus} statusOf
 */
export function sortByUrgency(households, statusOf) {
  const rank = (/** @type {any} */ h) => CARE_LEVELS.indexOf(careLevel(h));
  return [...households].sort(
    (a, b) =>
      Number(statusOf(b).overdue) - Number(statusOf(a).overdue) ||
      rank(a) - rank(b) ||
      collator.compare(a.address ?? '', b.address ?? ''),
  );
}

/** Equality of JSON values. @param {any} a @param {any} b @returns {boolean} */
export function sameValue(a, b) {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]));
}

/**
 * Only the fields the member changed, and only those they may write: each is its own register, so a
 * colleague's correction of another field on another phone survives the merge.
 * @param {any} before   the household as shown (overlaid)
 * @param {Record<string, any>} after  the form's values
 * @param {(field: string) => boolean} writable
 * @returns {Record<string, any>}
 */
export function householdChanges(before, after, writable) {
  /** @type {Record<string, any>} */
  const changes = {};
  for (const [name, value] of Object.entries(after)) {
    if (!HOUSEHOLD_FIELDS.includes(/** @type {any} */ (name)) || !writable(name)) continue;
    const old = before[name] ?? (name === 'tags' || name === 'residents' ? [] : null);
    // Tags are a set: the form lists them in its own order, which is no change.
    const same = name === 'tags' ? sameValue([...old].sort(), [...value].sort()) : sameValue(old, value);
    if (!same) changes[name] = value;
  }
  return changes;
}

/** The household record's fields that are part of the 家庭基本情况表 (basic information sheet). */
export const SHEET_FIELDS = /** @type {const} */ (['residents', 'health', 'income', 'emergency_contact']);

/**
 * A correction of the sheet's contents updates the sheet: unless the member set its date themselves, it
 * becomes today (the 三要有 date then says when the sheet was last brought up to date).
 * @param {Record<string, any>} changes  from householdChanges
 * @param {string} today "YYYY-MM-DD"
 * @param {(field: string) => boolean} writable
 */
export function withSheetDate(changes, today, writable) {
  if ('info_sheet' in changes || !writable('info_sheet')) return changes;
  return SHEET_FIELDS.some((name) => name in changes) ? { ...changes, info_sheet: today } : changes;
}

/**
 * Resident rows of the form, as the declaration wants them: empty rows dropped, text trimmed, a birth
 * year only when it is a number, keys the row did not have left out.
 * @param {{name: string, relation?: string, birth_year?: string | number, notes?: string}[]} rows
 */
export function residentsFromForm(rows) {
  return rows
    .filter((row) => row.name.trim() !== '')
    .map((row) => {
      /** @type {Record<string, any>} */
      const resident = { name: row.name.trim() };
      if (row.relation?.trim()) resident.relation = row.relation.trim();
      const year = Number(String(row.birth_year ?? '').trim());
      if (String(row.birth_year ?? '').trim() !== '' && Number.isInteger(year)) resident.birth_year = year;
      if (row.notes?.trim()) resident.notes = row.notes.trim();
      return resident;
    });
}

/** A text field of the form: trimmed, empty as null. @param {string} text */
export const textOrNull = (text) => (text.trim() === '' ? null : text.trim());
