/**
 * The merge rules (docs/sync-protocol.md §3.3; prose in sync/INTERNALS.md), twin of the Python `sync`
 * package and held to it by the vectors in sync/vectors/.
 *
 * - `set`: every named field is a last-writer-wins register; the greatest (clock, replica, op id) wins and
 *   every losing write stays in `overwritten`, ascending.
 * - `append`: one log entry with the op's id, logs ascending by (clock, replica, id).
 * - `delete` / `restore`: true / false into the `deleted` register; fields and logs survive a tombstone.
 *
 * Every write is kept, so the state depends only on the SET of ops applied: order and duplicates do not
 * matter, and mergeStates is the union of two op sets. Both functions are pure: they copy, never mutate.
 */

import { compareStamps, decodeClock } from './clock.js';
import { MergeError } from './merge-error.js';
import { opsById } from './state-ops.js';

export { MergeError } from './merge-error.js';

/** @typedef {import('./types.js').Op} Op */
/** @typedef {import('./types.js').State} State */
/** @typedef {import('./types.js').Register} Register */
/** @typedef {import('./types.js').Write} Write */
/** @typedef {import('./types.js').Entry} Entry */

const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const KINDS = ['set', 'append', 'delete', 'restore'];

/**
 * Apply one op to a record's state (null: the record is new).
 * @param {State | null} state  not modified
 * @param {Op} op               not modified
 * @returns {State} a new state
 * @throws {MergeError} "record_mismatch", "op_conflict"
 * @throws {TypeError} a malformed op
 */
export function applyOp(state, op) {
  checkOp(op);
  if (state === null) {
    const { record: id, type, household } = op;
    /** @type {State} */
    const fresh = { id, type, household, fields: {}, logs: {}, deleted: null };
    write(fresh, op);
    return fresh;
  }
  checkSameRecord(state, { id: op.record, type: op.type, household: op.household }, `op ${op.id}`);
  const prior = opsById(state).get(op.id);
  const next = structuredClone(state);
  if (prior === undefined) write(next, op);
  else reconcile(next, prior, op);
  return next;
}

/**
 * Merge two states of one record: the state of the union of their op sets. Commutative, associative and
 * idempotent. Either side may be null (nothing known yet).
 * @param {State | null} a  not modified
 * @param {State | null} b  not modified
 * @returns {State | null} a new state (null only when both are null)
 * @throws {MergeError} "record_mismatch", "op_conflict"
 */
export function mergeStates(a, b) {
  if (a === null || b === null) {
    const only = a ?? b;
    if (only !== null) opsById(only); // same consistency check as the two-sided case
    return only === null ? null : structuredClone(only);
  }
  checkSameRecord(a, b, `state ${b.id}`);
  const known = opsById(a);
  const next = structuredClone(a);
  for (const op of opsById(b).values()) {
    const prior = known.get(op.id);
    if (prior === undefined) {
      write(next, op);
      known.set(op.id, op);
    } else {
      reconcile(next, prior, op);
    }
  }
  return next;
}

/**
 * Write a new op into `state` (our own copy).
 * @param {State} state
 * @param {Op} op
 */
function write(state, op) {
  const author = op.author ?? null;
  const stamp = { clock: op.clock, replica: op.replica, op: op.id, author };
  if (op.kind === 'set') {
    const fields = /** @type {Record<string, import('./types.js').JsonValue>} */ (op.fields);
    for (const [name, value] of Object.entries(fields)) {
      const current = Object.hasOwn(state.fields, name) ? state.fields[name] : null;
      const register = writeRegister(current, { value: structuredClone(value), ...stamp });
      state.fields = withKey(state.fields, name, register);
    }
  } else if (op.kind === 'append') {
    const name = /** @type {string} */ (op.field);
    const value = structuredClone(op.value);
    const entry = { id: op.id, value, clock: op.clock, replica: op.replica, author };
    const entries = Object.hasOwn(state.logs, name) ? state.logs[name] : [];
    state.logs = withKey(state.logs, name, insertSorted(entries, entry));
  } else {
    state.deleted = writeRegister(state.deleted, { value: op.kind === 'delete', ...stamp });
  }
}

/**
 * The op id is already in `state`: the same op again changes nothing, another op under that id is an
 * error. The one exception is `author`, which the server attaches: a replica's own op, applied before it
 * was pushed, comes back from a pull with its author, and that fills the gap (null never beats a member id,
 * so the order the two copies arrive in does not matter).
 * @param {State} state  our own copy
 * @param {Op} prior     the op as the state holds it
 * @param {Op} op
 */
function reconcile(state, prior, op) {
  const differ = differences(prior, op);
  if (differ.length > 0) {
    throw new MergeError(
      'op_conflict',
      `op ${op.id} is already in record ${state.id} with another ${differ.join(', ')}`,
    );
  }
  if ((prior.author ?? null) === null && (op.author ?? null) !== null) {
    setAuthor(state, op.id, /** @type {number} */ (op.author));
  }
}

/**
 * The keys on which two ops with one id disagree; a missing author agrees with any author.
 * @param {Op} prior  as read back from a state (opsById)
 * @param {Op} op
 * @returns {string[]}
 */
function differences(prior, op) {
  const differ = /** @type {const} */ (['kind', 'clock', 'replica']).filter((key) => prior[key] !== op[key]);
  if (differ.length === 0 && op.kind === 'set' && !jsonEqual(prior.fields, op.fields)) differ.push('fields');
  if (differ.length === 0 && op.kind === 'append') {
    if (prior.field !== op.field) differ.push('field');
    if (!jsonEqual(prior.value, op.value)) differ.push('value');
  }
  const [was, now] = [prior.author ?? null, op.author ?? null];
  if (was !== null && now !== null && was !== now) differ.push(`author (${was}, now ${now})`);
  return differ;
}

/**
 * @param {State} state
 * @param {string} opId
 * @param {number} author
 */
function setAuthor(state, opId, author) {
  const registers = [...Object.values(state.fields), ...(state.deleted === null ? [] : [state.deleted])];
  for (const register of registers) {
    for (const w of [register, ...register.overwritten]) if (w.op === opId) w.author = author;
  }
  for (const entries of Object.values(state.logs)) {
    for (const entry of entries) if (entry.id === opId) entry.author = author;
  }
}

/**
 * Last writer wins by (clock, replica, op id); the loser joins `overwritten`.
 * @param {Register | null} register
 * @param {Write} incoming
 * @returns {Register}
 */
function writeRegister(register, incoming) {
  if (register === null) return { ...incoming, overwritten: [] };
  const { overwritten, ...current } = register;
  return compareStamps(incoming, current) > 0
    ? { ...incoming, overwritten: insertSorted(overwritten, current) }
    : { ...current, overwritten: insertSorted(overwritten, incoming) };
}

/**
 * @template {import('./types.js').Stamped} T
 * @param {T[]} list  ascending by stamp
 * @param {T} item
 * @returns {T[]} a new list
 */
function insertSorted(list, item) {
  let at = list.length;
  while (at > 0 && compareStamps(list[at - 1], item) > 0) at--;
  return [...list.slice(0, at), item, ...list.slice(at)];
}

/**
 * Keys sorted, so equal states also serialize alike. fromEntries defines own properties: a field called
 * "constructor" is an ordinary field.
 * @template T
 * @param {Record<string, T>} obj
 * @param {string} key
 * @param {T} value
 * @returns {Record<string, T>}
 */
function withKey(obj, key, value) {
  const entries = Object.entries(obj).filter(([k]) => k !== key);
  entries.push([key, value]);
  entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return Object.fromEntries(entries);
}

/**
 * JSON equality: object key order does not matter, array order does.
 * @param {unknown} a
 * @param {unknown} b
 * @returns {boolean}
 */
function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && jsonEqual(/** @type {any} */ (a)[k], /** @type {any} */ (b)[k]))
  );
}

/**
 * @param {{id: string, type: string, household: string}} state
 * @param {{id: string, type: string, household: string}} other
 * @param {string} what  for the message
 */
function checkSameRecord(state, other, what) {
  for (const key of /** @type {const} */ (['id', 'type', 'household'])) {
    if (state[key] !== other[key]) {
      const name = key === 'id' ? 'record' : key;
      throw new MergeError(
        'record_mismatch',
        `${what} has ${name} ${JSON.stringify(other[key])}, ` +
          `but record ${state.id} has ${JSON.stringify(state[key])}`,
      );
    }
  }
}

/**
 * Guard clauses for the op shape of §3.2; the server validates field values, this only protects the merge.
 * @param {Op} op
 */
function checkOp(op) {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) {
    throw new TypeError(`an op must be an object, got ${JSON.stringify(op)}`);
  }
  for (const key of /** @type {const} */ (['id', 'record', 'type', 'household', 'replica'])) {
    if (typeof op[key] !== 'string' || op[key] === '') {
      throw new TypeError(`op.${key} must be a non-empty string, got ${JSON.stringify(op[key])}`);
    }
  }
  try {
    decodeClock(op.clock);
  } catch (err) {
    throw new TypeError(`op.clock: ${/** @type {Error} */ (err).message}`);
  }
  if (!KINDS.includes(op.kind)) {
    throw new TypeError(`op.kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(op.kind)}`);
  }
  if (op.author !== undefined && op.author !== null && !Number.isSafeInteger(op.author)) {
    throw new TypeError(`op.author must be a member id (integer) or null, got ${JSON.stringify(op.author)}`);
  }
  if (op.kind === 'set') {
    const names = typeof op.fields === 'object' && op.fields !== null && !Array.isArray(op.fields)
      ? Object.keys(op.fields)
      : [];
    if (names.length === 0) {
      throw new TypeError(`a set op needs fields with at least one field, got ${JSON.stringify(op.fields)}`);
    }
    for (const name of names) checkFieldName(name);
  } else if (op.kind === 'append') {
    checkFieldName(op.field);
    if (op.value === undefined) throw new TypeError(`an append op needs a value (op ${op.id})`);
  }
}

/** @param {unknown} name */
function checkFieldName(name) {
  if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
    throw new TypeError(`a field name must match [a-z][a-z0-9_]{0,63}, got ${JSON.stringify(name)}`);
  }
}
