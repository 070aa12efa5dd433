/**
 * How one member's values become rows (schema in db/schema.js): the key is blinded, the value sealed,
 * and the additional data names the member, the store and the row.
 */

import { blind, seal, unseal } from '../vault.js';

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

/**
 * One chunk (db/chunks.js) as a row: its entries sealed together, the additional data naming the member,
 * the collection and the chunk number, so a chunk cannot be moved to another member, collection or place.
 * @param {Bound} v
 * @param {string} c  "r" or "h"
 * @param {number} n
 * @param {unknown[]} entries
 */
export async function sealChunk(v, c, n, entries) {
  return { m: v.m, c, n, ...(await seal(v.keys, `${v.m}|chunks|${c}|${n}`, entries)) };
}

/**
 * @param {Bound} v
 * @param {any} row
 * @returns {Promise<any[]>} the entries
 */
export function openChunk(v, row) {
  return unseal(v.keys, `${v.m}|chunks|${row.c}|${row.n}`, row);
}

/** @param {Bound} v @param {any} row */
export const openEntry = async (v, row) => ({ ...(await unseal(v.keys, `${v.m}|outbox`, row)), seq: row.seq });

/** @param {Bound} v @param {any} entry */
export async function sealEntry(v, entry) {
  const { seq, ...value } = entry;
  const r = await blind(v.keys, 'records', entry.op.record);
  return { m: v.m, r, ...(await seal(v.keys, `${v.m}|outbox`, value)), ...(seq === undefined ? {} : { seq }) };
}
