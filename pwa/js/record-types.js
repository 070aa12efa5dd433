/**
 * The record types, read from the same declaration the server validates with (served at
 * /record-types.json from server/domain/record-types.json; docs/sync-protocol.md §3.4). Screens build
 * their forms and checks from it; this module implements the declaration's JSON Schema subset
 * (server/domain/schema_subset.py), derived record ids (§3.5) and workflow progress
 * (server/domain/workflow.py), held to the Python side by server/domain/vectors.json.
 *
 * Pure functions, except loadDeclaration (a fetch, answered by the service worker's cache offline).
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const DAY_MS = 24 * 3600 * 1000;

/** @param {string} value */
function isDate(value) {
  if (!DATE.test(value)) return false;
  const [y, m, d] = value.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d && y >= 1;
}

/** @type {Record<string, (value: string) => boolean>} */
const FORMATS = { date: isDate, time: (v) => TIME.test(v), uuid7: (v) => UUID7.test(v) };

/** @param {any} value */
function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // string, boolean, object
}

/** Equality of JSON values, as JSON Schema's enum and uniqueItems use it. */
function same(/** @type {any} */ a, /** @type {any} */ b) {
  if (a === b) return true;
  if (typeOf(a) !== typeOf(b) || a === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

/**
 * Why `value` fails `schema` (the declaration's JSON Schema subset), or null when it passes.
 * @param {any} schema
 * @param {any} value
 * @param {string} [path]
 * @returns {string | null}
 */
export function schemaProblem(schema, value, path = 'value') {
  const type = typeOf(value);
  if ('type' in schema) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.includes(type)) return `${path} must be ${types.join(' or ')}`;
  }
  if ('enum' in schema && !schema.enum.some((/** @type {any} */ option) => same(option, value))) {
    return `${path} must be one of ${JSON.stringify(schema.enum)}`;
  }
  if (type === 'string') {
    const length = [...value].length; // code points, as JSON Schema and Python count
    if ('minLength' in schema && length < schema.minLength) return `${path} is shorter than ${schema.minLength}`;
    if ('maxLength' in schema && length > schema.maxLength) return `${path} is longer than ${schema.maxLength}`;
    if ('format' in schema && !FORMATS[schema.format](value)) return `${path} must be a ${schema.format}`;
  }
  if (type === 'integer' || type === 'number') {
    if ('minimum' in schema && value < schema.minimum) return `${path} must be at least ${schema.minimum}`;
    if ('maximum' in schema && value > schema.maximum) return `${path} must be at most ${schema.maximum}`;
  }
  if (type === 'array') {
    if ('minItems' in schema && value.length < schema.minItems) return `${path} needs ${schema.minItems} items`;
    if ('maxItems' in schema && value.length > schema.maxItems) return `${path} has more than ${schema.maxItems} items`;
    if (schema.uniqueItems && value.some((/** @type {any} */ x, /** @type {number} */ i) => value.slice(0, i).some((/** @type {any} */ y) => same(x, y)))) {
      return `${path} has repeated items`;
    }
    if ('items' in schema) {
      for (let i = 0; i < value.length; i += 1) {
        const problem = schemaProblem(schema.items, value[i], `${path}[${i}]`);
        if (problem) return problem;
      }
    }
  }
  if (type === 'object') {
    for (const key of schema.required ?? []) if (!Object.hasOwn(value, key)) return `${path} needs ${key}`;
    const properties = schema.properties ?? {};
    for (const [key, item] of Object.entries(value)) {
      if (!Object.hasOwn(properties, key)) {
        if (schema.additionalProperties === false) return `${path} has unknown key ${key}`;
        continue;
      }
      const problem = schemaProblem(properties[key], item, `${path}.${key}`);
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * The id of the `type` record about `parts` (§3.5): SHA-256, shaped as a UUIDv7.
 * @param {string} type
 * @param {string[]} parts
 * @returns {Promise<string>}
 */
export async function derivedRecordId(type, parts) {
  const text = ['lianhu-record', type, ...parts].join('\n');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  const bytes = digest.slice(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The declaration, fetched once (the service worker answers offline).
 * @type {Promise<any> | null}
 */
let loading = null;

/** @param {typeof fetch} [fetchFn] */
export function loadDeclaration(fetchFn = globalThis.fetch.bind(globalThis)) {
  loading ??= fetchFn('/record-types.json').then((response) => {
    if (!response.ok) throw new Error(`record types: HTTP ${response.status}`);
    return response.json();
  });
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

/**
 * @param {{label?: Record<string, string>}} entry  a type, field, stage… of the declaration
 * @param {string} lang
 * @param {string} fallback
 */
export function labelOf(entry, lang, fallback) {
  return entry?.label?.[lang] ?? entry?.label?.['zh-CN'] ?? fallback;
}

/**
 * The label of a code (an enum value) of a field or log.
 * @param {any} spec  a field or log of the declaration
 * @param {string} code
 * @param {string} lang
 */
export function valueLabel(spec, code, lang) {
  const labels = spec?.values?.[code];
  return labels?.[lang] ?? labels?.['zh-CN'] ?? code;
}

/**
 * Whether `role` may write `spec` (a field with `roles`, or a workflow stage).
 * @param {any} declaration
 * @param {{roles?: string | string[]}} spec
 * @param {string} role
 */
export function roleMay(declaration, spec, role) {
  if (spec.roles === undefined) return true;
  const roles = typeof spec.roles === 'string' ? declaration.roles[spec.roles] : spec.roles;
  return roles.includes(role);
}

/**
 * Workflow progress of a record (server/domain/workflow.py): the stage is the step of the last log entry
 * in log order, or the first stage; due times count from the first entry of the stage they follow.
 * @param {any} recordType  a type of the declaration, with a workflow
 * @param {any[]} entries    the workflow log's entries, in log order ({value, clock, …})
 * @param {number} startedMs  the record's earliest write (ms)
 * @returns {{stage: string, closed: boolean, stageTimes: Record<string, number>, due: {stage: string, at: number} | null}}
 */
export function progress(recordType, entries, startedMs) {
  const workflow = recordType.workflow;
  const stages = Object.keys(workflow.stages);
  /** @type {Record<string, number>} */
  const stageTimes = { [stages[0]]: startedMs };
  /** @type {any} */
  let last = {};
  for (const entry of entries) {
    const value = entry.value;
    if (!value || typeof value !== 'object' || !stages.includes(value[workflow.key])) continue;
    stageTimes[value[workflow.key]] ??= Number(entry.clock.slice(0, 15));
    last = value;
  }
  const stage = last[workflow.key] ?? stages[0];
  const rule = workflow.closed_when ?? {};
  const closed =
    rule.step !== undefined &&
    last[workflow.key] === rule.step &&
    Object.entries(rule).every(([key, allowed]) => key === 'step' || !Array.isArray(allowed) || allowed.includes(last[key]));
  let due = null;
  if (!closed) {
    for (const [name, { after, days }] of Object.entries(workflow.due ?? {})) {
      if (!(name in stageTimes) && after in stageTimes) {
        due = { stage: name, at: stageTimes[after] + days * DAY_MS };
        break;
      }
    }
  }
  return { stage, closed, stageTimes, due };
}
