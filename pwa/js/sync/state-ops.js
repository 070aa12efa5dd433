/**
 * The inverse of folding ops into a state: the ops a state still shows, read back out of its writes and
 * log entries. A register keeps only its most recent writes, so a set op whose write to some field dropped
 * out comes back without that field, and an op none of whose writes are left does not come back at all;
 * folding these ops gives the state again. The full history is the server's op log.
 */

import { compareStamps } from './clock.js';
import { Draft } from './draft.js';

/** @typedef {import('./types.js').Op} Op */
/** @typedef {import('./types.js').State} State */

/**
 * The ops `state` shows, ascending by (clock, replica, id). An op whose author is unknown (null) comes back
 * without the `author` key, as the client made it.
 * @param {State} state
 * @returns {Op[]} copies
 * @throws {MergeError} "op_conflict" when the state holds one op id with inconsistent content
 */
export function stateOps(state) {
  return [...opsById(state).values()].sort(compareStamps);
}

/**
 * The same, by op id and unordered.
 * @param {State} state
 * @returns {Map<string, Op>} copies
 */
export function opsById(state) {
  return new Map(new Draft(state).views().map((op) => [op.id, op]));
}
