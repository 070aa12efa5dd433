/**
 * Version 2's rows of one member (db/schema.js: one sealed row per record, household and op), read once —
 * at the member's first unlock after the app moved to chunks — so they can be written as chunks and
 * deleted. The ops were kept only to rebuild a record when the member discards a rejected op; chunks keep
 * that record's state without its unsent ops instead (its *base*), made here from those ops.
 */

import { applyOp } from '../sync/merge.js';
import { openEntry, openRow } from './rows.js';
import { done, memberRange, transact } from './schema.js';

export const LEGACY_STORES = ['records', 'households', 'ops'];

/**
 * @param {import('./rows.js').Bound} v
 * @returns {Promise<{records: [string, any][], households: [string, any][]} | null>} entries for chunks (a
 *   record's item is {state} or {state, base}), or null when there is nothing of version 2
 */
export async function readLegacy(v) {
  const range = memberRange(v.m);
  const counts = await transact(LEGACY_STORES, 'readonly', (tx) =>
    Promise.all(LEGACY_STORES.map((name) => done(tx.objectStore(name).count(range)))),
  );
  if (counts.every((n) => n === 0)) return null;
  const [recordRows, householdRows, opRows, outboxRows] = await transact([...LEGACY_STORES, 'outbox'], 'readonly', (tx) =>
    Promise.all([
      ...LEGACY_STORES.map((name) => done(tx.objectStore(name).getAll(range))),
      done(tx.objectStore('outbox').index('member').getAll(v.m)),
    ]),
  );
  const [states, households, ops, outbox] = await Promise.all([
    Promise.all(recordRows.map((row) => openRow(v, 'records', row))),
    Promise.all(householdRows.map((row) => openRow(v, 'households', row))),
    Promise.all(opRows.map((row) => openRow(v, 'ops', row))),
    Promise.all(outboxRows.map((row) => openEntry(v, row))),
  ]);
  const unsent = new Set(outbox.map((entry) => entry.op.id));
  const pending = new Set(outbox.map((entry) => entry.op.record));
  /** @type {Map<string, any[]>} */
  const settled = new Map();
  for (const op of ops) {
    if (unsent.has(op.id) || !pending.has(op.record)) continue;
    settled.set(op.record, [...(settled.get(op.record) ?? []), op]);
  }
  return {
    records: states.map((state) => {
      if (!pending.has(state.id)) return [state.id, { state }];
      let base = null;
      for (const op of settled.get(state.id) ?? []) {
        try {
          base = applyOp(base, op);
        } catch (error) {
          console.warn('lianhu: a stored op does not apply', op.id, error);
        }
      }
      return [state.id, { state, base }];
    }),
    households: households.map((household) => [household.id, household]),
  };
}

/**
 * Deletes one member's version-2 rows (in the transaction that writes their chunks).
 * @param {IDBTransaction} tx  with the LEGACY_STORES
 * @param {number} m
 */
export function deleteLegacy(tx, m) {
  for (const name of LEGACY_STORES) tx.objectStore(name).delete(memberRange(m));
}
