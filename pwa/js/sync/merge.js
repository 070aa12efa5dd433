/**
 * The merge rules (docs/sync-protocol.md §3.3; prose in sync/INTERNALS.md), twin of the Python `sync`
 * package and held to it by the vectors in sync/vectors/.
 *
 * - `set`: every named field is a last-writer-wins register; the greatest (clock, replica, op id) wins and
 *   the MAX_OVERWRITTEN (4) most recent losing writes stay in `overwritten`, ascending; older ones drop out
 *   (the server's op log keeps them: GET /api/records/{id}/history).
 * - `append`: one log entry with the op's id, logs ascending by (clock, replica, id); entries never drop out.
 * - `delete` / `restore`: true / false into the `deleted` register; fields and logs survive a tombstone.
 * - `erase` (only the server makes it): the record becomes a husk, `{id, type, household, fields: {},
 *   logs: {}, deleted: null, erased: {op, clock, replica, author}}`, that absorbs every other op of the
 *   record; of two erase ops the greater stamp stays.
 *
 * A register holds the greatest writes of the SET of ops applied, and the greatest of a union are the
 * greatest of the greatest of each part: order and duplicates do not matter, and mergeStates is the union
 * of two op sets. All three functions are pure: they copy, never mutate. The rules live in draft.js.
 */

import { decodeClock } from './clock.js';
import { Draft, MAX_OVERWRITTEN } from './draft.js';

export { MergeError } from './merge-error.js';
export { MAX_OVERWRITTEN };

/** @typedef {import('./types.js').Op} Op */
/** @typedef {import('./types.js').State} State */

const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const KINDS = ['set', 'append', 'delete', 'restore', 'erase'];

/**
 * Apply one op to a record's state (null: the record is new).
 * @param {State | null} state  not modified
 * @param {Op} op               not modified
 * @returns {State} a new state
 * @throws {MergeError} "record_mismatch", "op_conflict"
 * @throws {TypeError} a malformed op
 */
export function applyOp(state, op) {
  return /** @type {State} */ (applyOps(state, [op]));
}

/**
 * Apply many ops of one record: the same result as applying them one by one with applyOp, but the state
 * is copied once, not once per op (a pulled page of ops for one record).
 * @param {State | null} state  not modified
 * @param {Op[]} ops            not modified
 * @returns {State | null} a new state (null only when `state` is null and `ops` empty)
 * @throws {MergeError} "record_mismatch", "op_conflict" at the first op that has one; nothing is applied
 * @throws {TypeError} a malformed op
 */
export function applyOps(state, ops) {
  const draft = new Draft(state);
  for (const op of ops) {
    checkOp(op);
    draft.apply(op);
  }
  return draft.result();
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
  const draft = new Draft(a);
  if (b !== null) draft.merge(b);
  return draft.result();
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
