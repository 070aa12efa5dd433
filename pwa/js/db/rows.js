/**
 * How one member's values become rows (schema in db/schema.js): the key is blinded, the value sealed,
 * and the additional data names the member, the store and the row.
 */

import { blind, seal, unseal } from '../vault.js';
import { done } from './schema.js';

/** @typedef {{m: number, keys: import('../vault.js').VaultKeys}} Bound */

/**
 * @param {Bound} v
 * @param {string} store
 * @param {string} id
 * @param {unknown} value
 * @param {Record<string, unknown>} [extra]
 */
export async function sealRow(v, store, id, value, extra) {
  const k = await blind(v.keys, store, id);
  return { m: v.m, k, ...extra, ...(await seal(v.keys, `${v.m}|${store}|${k}`, value)) };
}

/**
 * @param {Bound} v
 * @param {string} store
 * @param {any} row
 */
export function openRow(v, store, row) {
  return unseal(v.keys, `${v.m}|${store}|${row.k}`, row);
}

/** @param {Bound} v @param {any} row */
export const openEntry = async (v, row) => ({ ...(await unseal(v.keys, `${v.m}|outbox`, row)), seq: row.seq });

/** @param {Bound} v @param {any} entry */
export async function sealEntry(v, entry) {
  const { seq, ...value } = entry;
  const r = await blind(v.keys, 'records', entry.op.record);
  return { m: v.m, r, ...(await seal(v.keys, `${v.m}|outbox`, value)), ...(seq === undefined ? {} : { seq }) };
}

/**
 * @param {IDBTransaction} tx  with records, ops and outbox
 * @param {Bound} v
 * @param {string[]} keys  blinded record keys
 * @returns {Promise<Set<string>>} the keys deleted: all but those with an outbox entry
 */
export async function dropInTx(tx, v, keys) {
  const outbox = await done(tx.objectStore('outbox').index('member').getAll(v.m));
  const kept = new Set(outbox.map((row) => row.r));
  const dropped = new Set(keys.filter((k) => !kept.has(k)));
  for (const k of dropped) {
    tx.objectStore('records').delete([v.m, k]);
    for (const key of await done(tx.objectStore('ops').index('record').getAllKeys([v.m, k]))) tx.objectStore('ops').delete(key);
  }
  return dropped;
}
