/**
 * The record layer every screen writes through, for any type the declaration names (server/domain/
 * record-types.json, served at /record-types.json; docs/sync-protocol.md §3.4): before an op is made its
 * values are checked with the declaration's own rules (schemaProblem), required fields on create, workflow
 * steps against the member's role; the id is the derived one for types declared with `id_from` (§3.5).
 * Then outbox.js makes the op, applies it and queues it, all offline.
 *
 * Adding a record type to the app = its declaration + its screen (+ its due-list rule): nothing here
 * names a type.
 */

import * as defaultDb from './db.js';
import { getLang, has, t } from './i18n/index.js';
import * as outbox from './outbox.js';
import { derivedRecordId, labelOf, roleMay, schemaProblem } from './record-types.js';
import { recordView } from './record-view.js';

/** @typedef {{field: string, message: string}} Problem */

/** What the member must fix before the record can be saved; `problems` say which field and why. */
export class RecordCheckError extends Error {
  /** @param {Problem[]} problems */
  constructor(problems) {
    super(problems.map((p) => p.message).join('；'));
    this.name = 'RecordCheckError';
    this.problems = problems;
  }
}

/**
 * @param {any} declaration
 * @param {string} type
 */
export function typeOf(declaration, type) {
  const recordType = declaration?.types?.[type];
  if (!recordType) throw new Error(`unknown record type ${JSON.stringify(type)}`);
  return recordType;
}

/**
 * The label of a key inside a log entry (the declaration labels fields and logs, not their entries' keys).
 * @param {string} key
 */
export function entryKeyLabel(key) {
  return has(`records.key.${key}`) ? t(`records.key.${key}`) : key;
}

/**
 * A schema problem for people: which field, in their language.
 * @param {string} label   the field's label
 * @param {any} schema
 * @param {any} value
 * @param {string} problem  schemaProblem's answer
 */
function explain(label, schema, value, problem) {
  const empty = value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  if (/longer than|more than/.test(problem)) {
    return t('records.tooLong', { field: label, n: schema.maxLength ?? schema.maxItems ?? '' });
  }
  if (empty || /shorter than|needs \d+ items/.test(problem)) return t('records.required', { field: label });
  return t('records.invalid', { field: label });
}

/**
 * Every field value that breaks its rule, and (when creating) every required field left out.
 * @param {any} recordType
 * @param {Record<string, any>} fields
 * @param {{creating?: boolean}} [options]
 * @returns {Problem[]}
 */
export function fieldProblems(recordType, fields, { creating = false } = {}) {
  const lang = getLang();
  /** @type {Problem[]} */
  const problems = [];
  for (const [name, value] of Object.entries(fields)) {
    const spec = recordType.fields[name];
    if (!spec) {
      problems.push({ field: name, message: t('records.unknownField', { field: name }) });
      continue;
    }
    const problem = schemaProblem(spec.schema, value, name);
    if (problem) problems.push({ field: name, message: explain(labelOf(spec, lang, name), spec.schema, value, problem) });
  }
  if (creating) {
    for (const name of recordType.required ?? []) {
      if (!(name in fields)) {
        problems.push({ field: name, message: t('records.required', { field: labelOf(recordType.fields[name], lang, name) }) });
      }
    }
  }
  return problems;
}

/**
 * What is wrong with a log entry: its rule, and for a workflow log whether `role` may record that step
 * and whether it carries what the stage requires (the server answers step_not_allowed otherwise).
 * @param {any} declaration
 * @param {any} recordType
 * @param {string} log
 * @param {any} value
 * @param {string | undefined} role
 * @returns {Problem[]}
 */
export function entryProblems(declaration, recordType, log, value, role) {
  const lang = getLang();
  const spec = recordType.logs?.[log];
  if (!spec) return [{ field: log, message: t('records.unknownField', { field: log }) }];
  const workflow = recordType.workflow?.log === log ? recordType.workflow : null;
  const stage = workflow?.stages?.[value?.[workflow.key]];
  /** @type {Problem[]} */
  const problems = [];
  if (stage && !roleMay(declaration, stage, role ?? '')) {
    problems.push({ field: workflow.key, message: t('records.stepNotAllowed', { step: labelOf(stage, lang, value[workflow.key]) }) });
  }
  const properties = spec.schema.properties ?? {};
  const needed = [...(spec.schema.required ?? []), ...(stage?.requires ?? [])];
  for (const key of needed) {
    if (value?.[key] === undefined) {
      problems.push({ field: key, message: t('records.required', { field: labelOf(properties[key], lang, entryKeyLabel(key)) }) });
    }
  }
  const oneOf = stage?.requires_one_of ?? [];
  if (oneOf.length > 0 && oneOf.every((/** @type {string} */ key) => value?.[key] === undefined)) {
    problems.push({ field: oneOf[0], message: t('records.required', { field: labelOf(properties[oneOf[0]], lang, entryKeyLabel(oneOf[0])) }) });
  }
  if (problems.length === 0) {
    for (const [key, item] of Object.entries(value ?? {})) {
      const rule = properties[key];
      const problem = rule ? schemaProblem(rule, item, key) : t('records.unknownField', { field: key });
      if (problem) problems.push({ field: key, message: rule ? explain(labelOf(rule, lang, entryKeyLabel(key)), rule, item, problem) : problem });
    }
  }
  return problems;
}

/** Equality of JSON values; lists of codes or ids compare as sets (their order means nothing). */
function sameValue(/** @type {any} */ a, /** @type {any} */ b) {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x) => b.some((y) => JSON.stringify(x) === JSON.stringify(y)));
  }
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Only what an edit changed: a field absent from `before` and null/empty in `after` is no change.
 * @param {Record<string, any>} before  the view's values
 * @param {Record<string, any>} after   the form's values
 */
export function changedValues(before, after) {
  /** @type {Record<string, any>} */
  const changes = {};
  for (const [name, value] of Object.entries(after)) {
    const was = before[name];
    const blank = value === null || (Array.isArray(value) && value.length === 0);
    if (was === undefined && blank) continue;
    if (!sameValue(was, value)) changes[name] = value;
  }
  return changes;
}

/**
 * The id of a new record: derived from the declared fields for `id_from` types (one record per household
 * and day, whoever records it), else a fresh UUIDv7 (outbox.createRecord makes it).
 * @param {any} recordType
 * @param {string} type
 * @param {string} household
 * @param {Record<string, any>} fields
 * @returns {Promise<string | undefined>}
 */
export async function newRecordId(recordType, type, household, fields) {
  if (!recordType.id_from) return undefined;
  const parts = recordType.id_from.map((/** @type {string} */ name) => String(name === 'household' ? household : fields[name]));
  return derivedRecordId(type, parts);
}

/**
 * @typedef {object} Deps
 * @property {import('./db.js').MemberVerbs} [db]
 * @property {() => number} [now]
 */

/**
 * Saves fields of a record: creates it (one `set` with every field given, required ones included) when
 * this phone does not have it yet, else sends only what changed. Throws RecordCheckError before writing
 * anything when a value breaks the declaration.
 * @param {any} declaration
 * @param {{type: string, household: string, id?: string}} target  no id: a new record (or the derived one)
 * @param {Record<string, any>} fields
 * @param {Deps} [deps]
 * @returns {Promise<{id: string, made: boolean}>}
 */
export async function saveRecord(declaration, { type, household, id }, fields, deps = {}) {
  const db = deps.db ?? defaultDb;
  const recordType = typeOf(declaration, type);
  const recordId = id ?? (await newRecordId(recordType, type, household, fields));
  const state = recordId ? await db.getRecord(recordId) : null;
  if (!state) {
    const problems = fieldProblems(recordType, fields, { creating: true });
    if (problems.length > 0) throw new RecordCheckError(problems);
    const created = await outbox.createRecord({ type, household, fields, ...(recordId ? { record: recordId } : {}) }, deps);
    return { id: created, made: true };
  }
  const changes = changedValues(recordView(state).values, fields);
  const problems = fieldProblems(recordType, changes);
  if (problems.length > 0) throw new RecordCheckError(problems);
  const made = await outbox.editRecord({ id: state.id, type, household: state.household }, changes, deps);
  return { id: state.id, made };
}

/**
 * Appends one entry to a record's log, after checking it (and the member's role for a workflow step).
 * `create`: fields that create the record first when this phone does not have it yet (a curtain check's
 * date, say), so the append is never refused as not_created_yet for long.
 * @param {any} declaration
 * @param {{type: string, household: string, id?: string}} target
 * @param {string} log
 * @param {any} value
 * @param {{role?: string, create?: Record<string, any>} & Deps} [options]
 * @returns {Promise<string>} the record's id
 */
export async function addEntry(declaration, { type, household, id }, log, value, { role, create, ...deps } = {}) {
  const db = deps.db ?? defaultDb;
  const recordType = typeOf(declaration, type);
  const problems = entryProblems(declaration, recordType, log, value, role);
  if (problems.length > 0) throw new RecordCheckError(problems);
  let recordId = id ?? (await newRecordId(recordType, type, household, create ?? {}));
  if (!recordId || !(await db.getRecord(recordId))) {
    if (!create) throw new Error(`record ${recordId} is not on this phone`);
    recordId = (await saveRecord(declaration, { type, household, id: recordId }, create, deps)).id;
  }
  await outbox.appendEntry({ id: recordId, type, household }, log, value, deps);
  return recordId;
}
