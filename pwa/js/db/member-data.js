/**
 * One member's data (schema in db/schema.js), sealed with that member's keys (vault.js).
 * `memberData(m, keys)` binds the verbs to one member; `close()` forgets the keys, and every call after
 * that (say, the rest of a sync round that was running when the member switched) throws LockedError
 * instead of reading or writing anything.
 */

import { blind } from '../vault.js';
import { countOutboxOf } from './directory.js';
import { dropInTx, openEntry, openRow, sealEntry, sealRow } from './rows.js';
import { done, LockedError, memberRange, transact } from './schema.js';

/** @typedef {import('./rows.js').Bound} Bound */

/**
 * @param {number} m  the member id
 * @param {import('../vault.js').VaultKeys} keys
 */
export function memberData(m, keys) {
  /** @type {Bound | null} */
  let bound = { m, keys };
  const vault = () => {
    if (!bound) throw new LockedError();
    return bound;
  };

  /**
   * @param {string} store
   * @param {string[]} ids
   * @returns {Promise<any[]>} the values, undefined where there is none
   */
  async function getMany(store, ids) {
    const v = vault();
    const rowKeys = await Promise.all(ids.map((id) => blind(v.keys, store, id)));
    const rows = await transact([store], 'readonly', (tx) =>
      Promise.all(rowKeys.map((k) => done(tx.objectStore(store).get([v.m, k])))),
    );
    return Promise.all(rows.map((row) => (row ? openRow(v, store, row) : undefined)));
  }

  /** @param {string} store */
  async function getAllOf(store) {
    const v = vault();
    const rows = await transact([store], 'readonly', (tx) => done(tx.objectStore(store).getAll(memberRange(v.m))));
    return Promise.all(rows.map((row) => openRow(v, store, row)));
  }

  /** @param {string} key */
  async function getMeta(key) {
    return (await getMany('meta', [key]))[0];
  }

  /**
   * @param {string[]} keys
   * @returns {Promise<Record<string, any>>}
   */
  async function getMetaMany(keys) {
    const values = await getMany('meta', keys);
    return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
  }

  /** @param {Record<string, any>} entries  key → value; undefined deletes the key */
  async function setMeta(entries) {
    const v = vault();
    const puts = await Promise.all(
      Object.entries(entries).map(async ([key, value]) =>
        value === undefined ? { del: [v.m, await blind(v.keys, 'meta', key)] } : { row: await sealRow(v, 'meta', key, value) },
      ),
    );
    await transact(['meta'], 'readwrite', (tx) => {
      for (const put of puts) put.row ? tx.objectStore('meta').put(put.row) : tx.objectStore('meta').delete(put.del);
    });
  }

  /**
   * Stores a just-enrolled (or re-enrolled) member: the directory entry and the first meta values together.
   * The member must be unlocked (useVault) already, with the keys from the new data secret.
   * @param {any} entry
   * @param {Record<string, any>} meta
   */
  async function saveEnrollment(entry, meta) {
    const v = vault();
    const rows = await Promise.all(Object.entries(meta).map(([key, value]) => sealRow(v, 'meta', key, value)));
    await transact(['members', 'meta'], 'readwrite', (tx) => {
      tx.objectStore('members').put(entry);
      for (const row of rows) tx.objectStore('meta').put(row);
    });
  }

  /** Replaces the household list with the server's (households can leave the member's grids). */
  async function replaceHouseholds(/** @type {any[]} */ households) {
    const v = vault();
    const rows = await Promise.all(households.map((household) => sealRow(v, 'households', household.id, household)));
    await transact(['households'], 'readwrite', (tx) => {
      tx.objectStore('households').delete(memberRange(v.m));
      for (const row of rows) tx.objectStore('households').put(row);
    });
  }

  /** @returns {Promise<any[]>} */
  const listHouseholds = () => getAllOf('households');

  /** @param {string} id */
  async function getRecord(id) {
    return (await getMany('records', [id]))[0];
  }

  /**
   * @param {string[]} ids
   * @returns {Promise<Map<string, any>>} only the records that exist
   */
  async function getRecords(ids) {
    const found = await getMany('records', ids);
    return new Map(found.filter(Boolean).map((state) => [state.id, state]));
  }

  /**
   * @param {string} [type]  every record when omitted
   * @returns {Promise<any[]>}
   */
  async function listRecords(type) {
    const all = await getAllOf('records');
    return type === undefined ? all : all.filter((state) => state.type === type);
  }

  /** @param {string} recordId */
  async function listOpsOfRecord(recordId) {
    const v = vault();
    const r = await blind(v.keys, 'records', recordId);
    const rows = await transact(['ops'], 'readonly', (tx) => done(tx.objectStore('ops').index('record').getAll([v.m, r])));
    return Promise.all(rows.map((row) => openRow(v, 'ops', row)));
  }

  /**
   * Saves an op made on this phone: the op as applied, the record it produced, the advanced clock, and
   * the outbox entry that will push it, all or nothing.
   * @param {{op: any, wireOp: any, state: any, clock: any, createdAt: number}} change
   * @returns {Promise<number>} the outbox seq
   */
  async function saveLocalOp({ op, wireOp, state, clock, createdAt }) {
    const v = vault();
    const [clockRow, stateRow, entry] = await Promise.all([
      sealRow(v, 'meta', 'clock', clock),
      sealRow(v, 'records', state.id, state),
      sealEntry(v, { op: wireOp, status: 'pending', createdAt }),
    ]);
    const opRow = await sealRow(v, 'ops', op.id, op, { r: stateRow.k });
    const seq = await transact(['meta', 'records', 'ops', 'outbox'], 'readwrite', (tx) => {
      tx.objectStore('meta').put(clockRow);
      tx.objectStore('records').put(stateRow);
      tx.objectStore('ops').put(opRow);
      return done(tx.objectStore('outbox').add(entry));
    });
    return /** @type {number} */ (seq);
  }

  /**
   * Saves one pulled page: its ops, the records they changed, the clock that observed them and the
   * cursor after them, and deletes the records it says to drop (§5), all or nothing (so a cursor never
   * moves past ops that were not stored).
   * @param {{ops: any[], states: any[], clock: any, cursor: string, drop?: string[]}} page
   */
  async function saveRemoteOps({ ops, states, clock, cursor, drop = [] }) {
    const v = vault();
    const rows = await Promise.all([
      ...ops.map(async (op) => sealRow(v, 'ops', op.id, op, { r: await blind(v.keys, 'records', op.record) })),
      ...states.map((state) => sealRow(v, 'records', state.id, state)),
      sealRow(v, 'meta', 'clock', clock),
      sealRow(v, 'meta', 'cursor', cursor),
    ]);
    const stores = [...ops.map(() => 'ops'), ...states.map(() => 'records'), 'meta', 'meta'];
    const dropKeys = await Promise.all(drop.map((id) => blind(v.keys, 'records', id)));
    await transact(['meta', 'records', 'ops', 'outbox'], 'readwrite', async (tx) => {
      rows.forEach((row, i) => tx.objectStore(stores[i]).put(row));
      if (dropKeys.length > 0) await dropInTx(tx, v, dropKeys);
    });
  }

  /** @returns {Promise<any[]>} the unlocked member's outbox, oldest first */
  async function listOutbox() {
    const v = vault();
    const rows = await transact(['outbox'], 'readonly', (tx) => done(tx.objectStore('outbox').index('member').getAll(v.m)));
    return Promise.all(rows.map((row) => openEntry(v, row)));
  }

  /** @returns {Promise<number>} */
  const countOutbox = () => countOutboxOf(vault().m);

  /**
   * Applies push results: `null` removes the entry (accepted or duplicate), an object replaces it (e.g.
   * marked rejected). An entry that disappeared meanwhile (discarded by the member) stays gone.
   * @param {Map<number, any | null>} updates  seq → new entry or null
   */
  async function settleOutbox(updates) {
    const v = vault();
    /** @type {[number, any][]} */
    const sealed = await Promise.all(
      [...updates].map(async ([seq, entry]) => [seq, entry && (await sealEntry(v, { ...entry, seq }))]),
    );
    await transact(['outbox'], 'readwrite', async (tx) => {
      const store = tx.objectStore('outbox');
      for (const [seq, row] of sealed) {
        const current = await done(store.get(seq));
        if (current?.m !== v.m) continue;
        if (row === null) store.delete(seq);
        else store.put(row);
      }
    });
  }

  /**
   * Drops a rejected op for good and puts back the record as the remaining ops build it (`state` null:
   * the record had no other op and disappears).
   * @param {{seq: number, opId: string, recordId: string, state: any | null}} discard
   */
  async function discardLocalOp({ seq, opId, recordId, state }) {
    const v = vault();
    const [opKey, recordKey] = await Promise.all([blind(v.keys, 'ops', opId), blind(v.keys, 'records', recordId)]);
    const row = state === null ? null : await sealRow(v, 'records', recordId, state);
    await transact(['records', 'ops', 'outbox'], 'readwrite', async (tx) => {
      if ((await done(tx.objectStore('outbox').get(seq)))?.m === v.m) tx.objectStore('outbox').delete(seq);
      tx.objectStore('ops').delete([v.m, opKey]);
      if (row === null) tx.objectStore('records').delete([v.m, recordKey]);
      else tx.objectStore('records').put(row);
    });
  }

  /**
   * Deletes records (and their ops) the member may no longer see (pull `scope`, §7), except those with
   * an outbox entry: an op not pushed yet is never lost silently.
   * @param {string[]} recordIds
   * @returns {Promise<string[]>} the ids deleted
   */
  async function dropRecords(recordIds) {
    const v = vault();
    const keys = await Promise.all(recordIds.map((id) => blind(v.keys, 'records', id)));
    const dropped = await transact(['records', 'ops', 'outbox'], 'readwrite', (tx) => dropInTx(tx, v, keys));
    return recordIds.filter((_, i) => dropped.has(keys[i]));
  }

  /**
   * Deletes records the server erased (an erase op, docs/sync-protocol.md §3.3, §5) with everything this
   * phone holds of them: the record, its ops, and its ops still in the outbox (the server would absorb
   * them). Unlike dropRecords, an unsent op does not keep the record: erased data goes for good (PIPL).
   * @param {string[]} recordIds
   */
  async function eraseRecords(recordIds) {
    const v = vault();
    const keys = await Promise.all(recordIds.map((id) => blind(v.keys, 'records', id)));
    const erased = new Set(keys);
    await transact(['records', 'ops', 'outbox'], 'readwrite', async (tx) => {
      const outbox = tx.objectStore('outbox');
      for (const row of await done(outbox.index('member').getAll(v.m))) if (erased.has(row.r)) outbox.delete(row.seq);
      for (const k of keys) {
        tx.objectStore('records').delete([v.m, k]);
        for (const key of await done(tx.objectStore('ops').index('record').getAllKeys([v.m, k]))) tx.objectStore('ops').delete(key);
      }
    });
  }

  return {
    memberId: m,
    close() {
      bound = null;
    },
    getMeta,
    getMetaMany,
    setMeta,
    saveEnrollment,
    replaceHouseholds,
    listHouseholds,
    getRecord,
    getRecords,
    listRecords,
    listOpsOfRecord,
    saveLocalOp,
    saveRemoteOps,
    listOutbox,
    countOutbox,
    settleOutbox,
    discardLocalOp,
    dropRecords,
    eraseRecords,
  };
}

/** @typedef {ReturnType<typeof memberData>} MemberData */
