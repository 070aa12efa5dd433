/**
 * The inverse of folding ops into a state. A state keeps every write of every op (losing register writes
 * stay in `overwritten`), so the ops that built it can be read back out of it: the state IS its op set,
 * in a shape that is quick to read. mergeStates uses this to take the union of two states, and applyOp to
 * find an op it has seen before without any bookkeeping outside the §3.3 JSON.
 */

import { compareStamps } from './clock.js';
import { MergeError } from './merge-error.js';

/** @typedef {import('./types.js').Op} Op */
/** @typedef {import('./types.js').State} State */
/** @typedef {import('./types.js').Register} Register */

/**
 * The ops that built `state`, ascending by (clock, replica, id). An op whose author is unknown (null)
 * comes back without the `author` key, as the client made it.
 * @param {State} state
 * @returns {Op[]}
 * @throws {MergeError} "op_conflict" when the state holds one op id with inconsistent content
 */
export function stateOps(state) {
  return structuredClone([...opsById(state).values()].sort(compareStamps));
}

/**
 * Internal form of stateOps: by op id, unordered, and sharing values with `state` (callers copy them
 * before they keep them).
 * @param {State} state
 * @returns {Map<string, Op>}
 */
export function opsById(state) {
  /** @type {Map<string, Op>} */
  const ops = new Map();
  const header = { record: state.id, type: state.type, household: state.household };

  /**
   * @param {string} kind
   * @param {{clock: string, replica: string, author: number | null}} write
   * @param {string} id
   * @param {string} where  for the message
   */
  const claim = (kind, write, id, where) => {
    const known = ops.get(id);
    if (known === undefined) {
      const { clock, replica } = write;
      /** @type {Op} */
      const op = { id, ...header, clock, replica, kind: /** @type {import('./types.js').OpKind} */ (kind) };
      if (write.author !== null) op.author = write.author;
      ops.set(id, op);
      return op;
    }
    // Only a set op writes more than one place, and all its writes share one stamp and author.
    const consistent =
      kind === 'set' &&
      known.kind === 'set' &&
      known.clock === write.clock &&
      known.replica === write.replica &&
      (known.author ?? null) === write.author;
    if (!consistent) {
      throw new MergeError(
        'op_conflict',
        `state ${state.id} holds op ${id} twice with different content (the second at ${where})`,
      );
    }
    return known;
  };

  for (const [name, register] of Object.entries(state.fields)) {
    for (const write of registerWrites(register)) {
      const op = claim('set', write, write.op, `fields.${name}`);
      if (op.fields !== undefined && Object.hasOwn(op.fields, name)) {
        throw new MergeError('op_conflict', `state ${state.id} holds op ${write.op} twice in field ${name}`);
      }
      // A computed key defines an own property, whatever the name (even "__proto__").
      op.fields = { ...op.fields, [name]: write.value };
    }
  }
  for (const [name, entries] of Object.entries(state.logs)) {
    for (const entry of entries) {
      const op = claim('append', entry, entry.id, `logs.${name}`);
      op.field = name;
      op.value = entry.value;
    }
  }
  if (state.deleted !== null) {
    for (const write of registerWrites(state.deleted)) {
      if (typeof write.value !== 'boolean') {
        throw new TypeError(`the deleted register holds true or false, got ${JSON.stringify(write.value)}`);
      }
      claim(write.value ? 'delete' : 'restore', write, write.op, 'deleted');
    }
  }
  return ops;
}

/**
 * @param {Register} register
 */
function registerWrites(register) {
  const { overwritten, ...winner } = register;
  return [winner, ...overwritten];
}
