/**
 * The storage form of a record state, twin of sync/storage.py: compact, lossless, and read back in one pass
 * without re-applying any op. For this device's own IndexedDB (trusted: only this code writes it); a state
 * from the network is the §3.3 JSON.
 *
 * Each op's stamp (id, clock, replica, author) is stored once however many fields it wrote, and every write
 * or entry refers to it by its index in `ops` (ascending by clock, replica, id):
 *
 *   {deleted: [[i, true], ...], fields: {notes: [[i, value], ...]}, household, id,
 *    logs: {log: [[i, value], ...]}, ops: [[op id, clock, replica, author], ...], type, v: 1}
 *
 * An erased record's husk has one more key, `erased: i` (its erase op, the only one in `ops`); other states
 * have none.
 *
 * stateToStorage writes it as canonical JSON (keys sorted by code point, no spaces), byte-identical to the
 * Python twin's text for the same state (sync/vectors/storage.json). IndexedDB can hold the object from
 * stateToCompact as it is.
 */

import { writesOf } from './draft.js';

/** @typedef {import('./types.js').State} State */
/** @typedef {import('./types.js').Write} Write */
/** @typedef {import('./types.js').JsonValue} JsonValue */
/**
 * @typedef {object} Compact
 * @property {[number, JsonValue][]} deleted
 * @property {{[field: string]: [number, JsonValue][]}} fields
 * @property {string} household
 * @property {string} id
 * @property {{[field: string]: [number, JsonValue][]}} logs
 * @property {[string, string, string, number | null][]} ops
 * @property {string} type
 * @property {number} v
 * @property {number} [erased]
 */

export const STORAGE_VERSION = 1;

/**
 * The storage object of a state. It shares values with `state`: store it, do not change it.
 * @param {State} state
 * @returns {Compact}
 */
export function stateToCompact(state) {
  /** @type {Map<string, [string, string, string, number | null]>} */
  const stamps = new Map();
  const registers = Object.values(state.fields).concat(state.deleted === null ? [] : [state.deleted]);
  for (const register of registers) {
    for (const w of writesOf(register)) stamps.set(w.op, [w.op, w.clock, w.replica, w.author]);
  }
  for (const entries of Object.values(state.logs)) {
    for (const e of entries) stamps.set(e.id, [e.id, e.clock, e.replica, e.author]);
  }
  const { erased } = state;
  if (erased !== undefined) stamps.set(erased.op, [erased.op, erased.clock, erased.replica, erased.author]);
  const ops = [...stamps.values()].sort((a, b) => compareKeys([a[1], a[2], a[0]], [b[1], b[2], b[0]]));
  const index = new Map(ops.map((stamp, i) => [stamp[0], i]));
  /** @param {Write[]} writes @returns {[number, JsonValue][]} */
  const refer = (writes) => writes.map((w) => [/** @type {number} */ (index.get(w.op)), w.value]);
  /** @type {Compact} */
  const compact = {
    deleted: state.deleted === null ? [] : refer(writesOf(state.deleted)),
    fields: mapSorted(state.fields, (register) => refer(writesOf(register))),
    household: state.household,
    id: state.id,
    logs: mapSorted(state.logs, (entries) => entries.map((e) => [/** @type {number} */ (index.get(e.id)), e.value])),
    ops,
    type: state.type,
    v: STORAGE_VERSION,
  };
  if (erased !== undefined) compact.erased = index.get(erased.op);
  return compact;
}

/**
 * The state a storage object holds. It shares values with `compact`.
 * @param {Compact} compact
 * @returns {State}
 * @throws {Error} when `compact` is not storage of this version
 */
export function stateFromCompact(compact) {
  if (compact?.v !== STORAGE_VERSION) {
    throw new Error(`record storage must be version ${STORAGE_VERSION}, got version ${JSON.stringify(compact?.v)}`);
  }
  const { ops } = compact;
  /** @param {[number, JsonValue]} item @returns {Write} */
  const write = ([i, value]) => {
    const [op, clock, replica, author] = ops[i];
    return { value, clock, replica, op, author };
  };
  /** @param {[number, JsonValue][]} items */
  const register = (items) => {
    const writes = items.map(write);
    const winner = /** @type {Write} */ (writes.pop());
    return { ...winner, overwritten: writes };
  };
  /** @type {State} */
  const state = {
    id: compact.id,
    type: compact.type,
    household: compact.household,
    fields: mapSorted(compact.fields, register),
    logs: mapSorted(compact.logs, (items) =>
      items.map(([i, value]) => {
        const [id, clock, replica, author] = ops[i];
        return { id, value, clock, replica, author };
      }),
    ),
    deleted: compact.deleted.length === 0 ? null : register(compact.deleted),
  };
  if (compact.erased !== undefined) {
    const [op, clock, replica, author] = ops[compact.erased];
    state.erased = { op, clock, replica, author };
  }
  return state;
}

/**
 * The state as storage text (canonical JSON), byte for byte what the Python twin writes.
 * @param {State} state
 * @returns {string}
 */
export function stateToStorage(state) {
  return canonicalJson(stateToCompact(state));
}

/**
 * @param {string} text  written by stateToStorage (or the Python twin's state_to_storage)
 * @returns {State}
 */
export function stateFromStorage(text) {
  return stateFromCompact(JSON.parse(text));
}

/**
 * Canonical JSON as the Python twin writes it (sync/json_value.py): object keys sorted by code point, no
 * spaces, non-ASCII as is. Numbers are JavaScript's: 1.0 is written 1, where Python keeps a float's ".0".
 * @param {unknown} value  plain JSON
 * @returns {string}
 */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort(compareCodePoints);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(/** @type {any} */ (value)[k])}`).join(',')}}`;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number' && Number.isFinite(value)) return JSON.stringify(value);
  throw new TypeError(`not a JSON value: ${String(value)}`);
}

/**
 * Python's string order (by code point); JavaScript's < compares UTF-16 code units, which differs for
 * characters above U+FFFF against U+E000–U+FFFF.
 * @param {string} a
 * @param {string} b
 */
function compareCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = /** @type {number} */ (a.codePointAt(i));
    const y = /** @type {number} */ (b.codePointAt(i));
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** @param {string[]} a @param {string[]} b ASCII keys */
function compareKeys(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/**
 * @template T, U
 * @param {Record<string, T>} obj
 * @param {(value: T) => U} f
 * @returns {Record<string, U>}  own properties, keys sorted (field names are ASCII)
 */
function mapSorted(obj, f) {
  return Object.fromEntries(Object.keys(obj).sort().map((key) => [key, f(obj[key])]));
}
