/**
 * One member's data (schema in db/schema.js), sealed with that member's keys (vault.js).
 * `memberData(m, keys)` binds the verbs to one member; `close()` forgets the keys and everything read, and
 * every call after that (say, the rest of a sync round that was running when the member switched) throws
 * LockedError instead of reading or writing anything.
 *
 * Records and households are kept as chunks (db/chunks.js) and, once read after the unlock, in memory:
 * a screen reads them without touching IndexedDB or WebCrypto again. Each read first asks IndexedDB for
 * the last chunk number (one small request): when another tab of this member wrote meanwhile, everything
 * is read again. Writes of this tab run one at a time; across tabs the callers hold the "write" lock.
 *
 * A record with ops not yet pushed also keeps its *base*: the record without them (what the server's ops
 * and states make). Discarding a rejected op rebuilds the record from the base and the ops still in the
 * outbox; the base goes once nothing of the record is left to push.
 */

import { blind } from '../vault.js';
import { applyOp, mergeStates } from '../sync/merge.js';
import { stateFromCompact, stateToCompact } from '../sync/storage.js';
import { ChunkLog } from './chunks.js';
import { countOutboxOf } from './directory.js';
import { deleteLegacy, LEGACY_STORES, readLegacy } from './legacy.js';
import { openChunk, openEntry, openRow, sealChunk, sealEntry, sealRow } from './rows.js';
import { chunkRange, done, LockedError, transact } from './schema.js';

/** @typedef {import('./rows.js').Bound} Bound */
/** @typedef {import('../sync/types.js').State} State */
/** @typedef {{state: State, base?: State | null}} RecordItem  base: the record without its unsent ops */
/** @typedef {{r: ChunkLog<RecordItem>, h: ChunkLog<any>}} Logs */

/** The most entries a chunk written by a merge (or the move from version 2) holds. */
export const CHUNK_ENTRIES = 2000;

/** How entries are kept in a chunk: a record in its storage form (and its base), a household as it is. */
const CODEC = {
  r: {
    /** @param {[string, RecordItem | null]} entry */
    encode: ([id, item]) => {
      if (item === null) return [id, null];
      const state = stateToCompact(item.state);
      if (item.base === undefined) return [id, state];
      return [id, state, item.base === null ? null : stateToCompact(item.base)];
    },
    /** @param {any[]} entry @returns {[string, RecordItem | null]} */
    decode: ([id, state, base]) => {
      if (state === null) return [id, null];
      const item = /** @type {RecordItem} */ ({ state: stateFromCompact(state) });
      if (base !== undefined) item.base = base === null ? null : stateFromCompact(base);
      return [id, item];
    },
  },
  h: {
    /** @param {[string, any]} entry */
    encode: (entry) => entry,
    /** @param {any[]} entry @returns {[string, any]} */
    decode: ([id, household]) => [id, household],
  },
};

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
  /** @type {Logs | null} */
  let logs = null;
  /** @type {Promise<unknown>} */
  let queue = Promise.resolve();
  /** @type {Set<(change: {records: boolean, households: boolean, remote: boolean}) => void>} */
  const listeners = new Set();

  /**
   * Runs `task` after every earlier one of this tab: chunk numbers are handed out one write at a time,
   * and a read never sees a write half applied to memory.
   * @template T
   * @param {() => Promise<T>} task
   * @returns {Promise<T>}
   */
  function serial(task) {
    const run = queue.then(task);
    queue = run.catch(() => {});
    return run;
  }

  /** @param {Bound} v @returns {Promise<{r: number, h: number}>} the last chunk number of each collection */
  function lastChunks(v) {
    return transact(['chunks'], 'readonly', async (tx) => {
      const store = tx.objectStore('chunks');
      const [r, h] = await Promise.all(
        ['r', 'h'].map((c) => done(store.openKeyCursor(chunkRange(v.m, c), 'prev'))),
      );
      return { r: r ? /** @type {any[]} */ (r.key)[2] : 0, h: h ? /** @type {any[]} */ (h.key)[2] : 0 };
    });
  }

  /** @param {Bound} v @returns {Promise<Logs>} */
  async function load(v) {
    await moveLegacy(v);
    const loaded = { r: new ChunkLog(), h: new ChunkLog() };
    for (const c of /** @type {const} */ (['r', 'h'])) {
      const rows = await transact(['chunks'], 'readonly', (tx) => done(tx.objectStore('chunks').getAll(chunkRange(v.m, c))));
      const opened = await Promise.all(rows.map((row) => openChunk(v, row)));
      rows.forEach((row, i) => loaded[c].apply(row.n, opened[i].map(CODEC[c].decode)));
    }
    return /** @type {Logs} */ (loaded);
  }

  /**
   * Version 2's rows (one sealed row each) become chunks, once; they are deleted in the same transaction.
   * @param {Bound} v
   */
  async function moveLegacy(v) {
    const legacy = await readLegacy(v);
    if (!legacy) return;
    const last = await lastChunks(v);
    /** @type {any[]} */
    const rows = [];
    for (const [c, entries] of /** @type {const} */ ([['r', legacy.records], ['h', legacy.households]])) {
      for (let i = 0; i < entries.length; i += CHUNK_ENTRIES) {
        const part = entries.slice(i, i + CHUNK_ENTRIES).map((e) => CODEC[c].encode(/** @type {any} */ (e)));
        rows.push(await sealChunk(v, c, ++last[c], part));
      }
    }
    await transact(['chunks', ...LEGACY_STORES], 'readwrite', (tx) => {
      for (const row of rows) tx.objectStore('chunks').add(row);
      deleteLegacy(tx, v.m);
    });
  }

  /** Inside `serial`: the collections as IndexedDB holds them now. @returns {Promise<Logs>} */
  async function fresh() {
    const v = vault();
    if (logs) {
      const last = await lastChunks(v);
      if (last.r === logs.r.last && last.h === logs.h.last) return logs;
    }
    const loaded = await load(v);
    if (bound !== v) throw new LockedError();
    logs = loaded;
    return logs;
  }

  /**
   * @template T
   * @param {(logs: Logs) => T} f
   * @returns {Promise<T>}
   */
  const read = (f) => serial(async () => f(await fresh()));

  /**
   * Writes one chunk per collection that changed (deleting the chunks that then hold nothing current),
   * and whatever `work` writes to `stores`, in one transaction; memory follows once it has committed.
   * @template T
   * @param {Bound} v
   * @param {Logs} held
   * @param {{r?: [string, RecordItem | null][], h?: [string, any][]}} changes  null: the id is gone
   * @param {string[]} stores
   * @param {(tx: IDBTransaction) => T | Promise<T>} [work]  must only use requests of `tx`
   * @param {boolean} [remote]  the change came from the server (listeners redraw for it)
   * @returns {Promise<T | undefined>}
   */
  async function commit(v, held, changes, stores, work, remote = false) {
    const plans = [];
    for (const c of /** @type {const} */ (['r', 'h'])) {
      // One entry per id: the last one given.
      const entries = [...new Map(/** @type {[string, any][]} */ (changes[c] ?? [])).entries()];
      if (entries.length === 0) continue;
      const n = held[c].last + 1;
      const emptied = held[c].emptiedBy(entries.map(([id]) => id));
      const row = await sealChunk(v, c, n, entries.map((e) => CODEC[c].encode(/** @type {any} */ (e))));
      plans.push({ c, n, entries, emptied, row });
    }
    const result = await transact(['chunks', ...stores], 'readwrite', (tx) => {
      for (const plan of plans) {
        tx.objectStore('chunks').add(plan.row);
        for (const gone of plan.emptied) tx.objectStore('chunks').delete([v.m, plan.c, gone]);
      }
      return work?.(tx);
    });
    for (const plan of plans) {
      held[plan.c].apply(plan.n, /** @type {any} */ (plan.entries));
      held[plan.c].forget(plan.emptied);
    }
    if (plans.length > 0) {
      const change = { records: plans.some((p) => p.c === 'r'), households: plans.some((p) => p.c === 'h'), remote };
      for (const listener of listeners) {
        try {
          listener(change);
        } catch (error) {
          console.error('lianhu: data listener failed', error);
        }
      }
    }
    return result;
  }

  /**
   * Merges small or mostly replaced chunks when there are many (db/chunks.js `compaction`).
   * @param {Bound} v
   * @param {Logs} held
   */
  async function compact(v, held) {
    for (const c of /** @type {const} */ (['r', 'h'])) {
      const plan = held[c].compaction();
      if (!plan) continue;
      const rows = [];
      const parts = [];
      for (let i = 0; i < plan.entries.length; i += CHUNK_ENTRIES) {
        const part = plan.entries.slice(i, i + CHUNK_ENTRIES);
        const n = held[c].last + 1 + parts.length;
        parts.push({ n, part });
        rows.push(await sealChunk(v, c, n, part.map((e) => CODEC[c].encode(/** @type {any} */ (e)))));
      }
      await transact(['chunks'], 'readwrite', (tx) => {
        for (const row of rows) tx.objectStore('chunks').add(row);
        for (const n of plan.merged) tx.objectStore('chunks').delete([v.m, c, n]);
      });
      for (const { n, part } of parts) held[c].apply(n, part);
      held[c].forget(plan.merged);
    }
  }

  /**
   * Which of `ids` have an entry in the outbox (compared by blinded key: nothing is unsealed).
   * @param {Bound} v
   * @param {string[]} ids
   * @returns {Promise<Set<string>>}
   */
  async function withOutbox(v, ids) {
    if (ids.length === 0) return new Set();
    const [rows, blinded] = await Promise.all([
      transact(['outbox'], 'readonly', (tx) => done(tx.objectStore('outbox').index('member').getAll(v.m))),
      Promise.all(ids.map((id) => blind(v.keys, 'records', id))),
    ]);
    const pending = new Set(rows.map((row) => row.r));
    return new Set(ids.filter((_, i) => pending.has(blinded[i])));
  }

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

  /**
   * @param {Bound} v
   * @param {Record<string, any>} entries  key → value; undefined deletes the key
   */
  function sealMeta(v, entries) {
    return Promise.all(
      Object.entries(entries).map(async ([key, value]) =>
        value === undefined ? { del: [v.m, await blind(v.keys, 'meta', key)] } : { row: await sealRow(v, 'meta', key, value) },
      ),
    );
  }

  /** @param {IDBTransaction} tx @param {{row?: any, del?: any}[]} puts */
  function putMeta(tx, puts) {
    for (const put of puts) put.row ? tx.objectStore('meta').put(put.row) : tx.objectStore('meta').delete(put.del);
  }

  /** @param {Record<string, any>} entries  key → value; undefined deletes the key */
  async function setMeta(entries) {
    const puts = await sealMeta(vault(), entries);
    await transact(['meta'], 'readwrite', (tx) => putMeta(tx, puts));
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

  /**
   * Stores a page of households (GET /api/households, protocol §8.1) and forgets every household outside
   * `grids`, with `meta` (the listing's cursor) in the same transaction.
   * @param {{households: any[], grids: number[], meta?: Record<string, any>}} page
   */
  function saveHouseholds({ households, grids, meta = {} }) {
    return serial(async () => {
      const v = vault();
      const held = await fresh();
      const mine = new Set(grids);
      const gridOf = (/** @type {any} */ household) => household.grid?.id ?? household.grid;
      /** @type {[string, any][]} */
      const entries = households.filter((household) => mine.has(gridOf(household))).map((household) => [household.id, household]);
      for (const household of held.h.list()) if (!mine.has(gridOf(household))) entries.push([household.id, null]);
      const puts = await sealMeta(v, meta);
      await commit(v, held, { h: entries }, ['meta'], (tx) => putMeta(tx, puts), true);
      await compact(v, held);
    });
  }

  /** @returns {Promise<any[]>} the households (shared: do not modify) */
  const listHouseholds = () => read((held) => held.h.list());

  /** @param {string} id */
  const getRecord = (id) => read((held) => held.r.get(id)?.state);

  /**
   * @param {string[]} ids
   * @returns {Promise<Map<string, any>>} only the records that exist
   */
  const getRecords = (ids) =>
    read((held) => {
      /** @type {Map<string, any>} */
      const found = new Map();
      for (const id of ids) {
        const item = held.r.get(id);
        if (item) found.set(id, item.state);
      }
      return found;
    });

  /**
   * @param {string} [type]  every record when omitted
   * @returns {Promise<any[]>} the states (shared: do not modify)
   */
  const listRecords = (type) =>
    read((held) => {
      const states = held.r.list().map((item) => item.state);
      return type === undefined ? states : states.filter((state) => state.type === type);
    });

  /**
   * Saves an op made on this phone: the record it produced, the advanced clock, and the outbox entry that
   * will push it, all or nothing. The record's base (without its unsent ops) is the record as it was
   * before its first unsent op.
   * @param {{op?: any, wireOp: any, state: any, clock: any, createdAt: number}} change
   * @returns {Promise<number>} the outbox seq
   */
  function saveLocalOp({ wireOp, state, clock, createdAt }) {
    return serial(async () => {
      const v = vault();
      const held = await fresh();
      const prior = held.r.get(state.id);
      const base = prior?.base !== undefined ? prior.base : (prior?.state ?? null);
      const [clockRow, entry] = await Promise.all([
        sealRow(v, 'meta', 'clock', clock),
        sealEntry(v, { op: wireOp, status: 'pending', createdAt }),
      ]);
      const seq = await commit(v, held, { r: [[state.id, { state, base }]] }, ['meta', 'outbox'], (tx) => {
        tx.objectStore('meta').put(clockRow);
        return done(tx.objectStore('outbox').add(entry));
      });
      await compact(v, held);
      return /** @type {number} */ (seq);
    });
  }

  /**
   * Saves one pulled page: the records it changed (`states`, already merged), the clock that observed it,
   * the cursor after it and any `meta` (progress), and deletes the records it says to drop (§5), all or
   * nothing (so a cursor never moves past what was not stored). `ops` and `received` (the snapshot's
   * states, §5.1) also go into the base of a record that has unsent ops.
   * @param {{ops?: any[], received?: any[], states: any[], clock: any, cursor: string, drop?: string[],
   *          meta?: Record<string, any>}} page
   */
  function saveRemoteOps({ ops = [], received = [], states, clock, cursor, drop = [], meta = {} }) {
    return serial(async () => {
      const v = vault();
      const held = await fresh();
      const withBase = states.filter((state) => held.r.get(state.id)?.base !== undefined).map((state) => state.id);
      const unsent = await withOutbox(v, [...new Set([...withBase, ...drop])]);
      /** @type {Map<string, any[]>} */
      const opsOf = new Map();
      for (const op of ops) opsOf.set(op.record, [...(opsOf.get(op.record) ?? []), op]);
      const receivedOf = new Map(received.map((state) => [state.id, state]));
      /** @type {[string, RecordItem | null][]} */
      const entries = states.map((state) => {
        const base = held.r.get(state.id)?.base;
        if (base === undefined || !unsent.has(state.id)) return [state.id, { state }];
        return [state.id, { state, base: rebase(base, opsOf.get(state.id) ?? [], receivedOf.get(state.id)) }];
      });
      for (const id of drop) if (!unsent.has(id) && held.r.get(id)) entries.push([id, null]);
      const puts = await sealMeta(v, { ...meta, clock, cursor });
      await commit(v, held, { r: entries }, ['meta'], (tx) => putMeta(tx, puts), true);
      await compact(v, held);
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
   * Drops a rejected op for good: the outbox entry goes and the record is rebuilt from its base and the
   * ops still to push (none left: the base itself; no base and no op: the record disappears).
   * @param {{seq: number, opId?: string, recordId: string}} discard
   */
  function discardLocalOp({ seq, recordId }) {
    return serial(async () => {
      const v = vault();
      const held = await fresh();
      const rest = (await listOutbox()).filter((entry) => entry.seq !== seq && entry.op.record === recordId);
      const prior = held.r.get(recordId);
      /** @type {RecordItem | null} */
      let item;
      if (prior?.base === undefined) {
        console.warn('lianhu: no base to rebuild record', recordId, 'from; it stays as it is');
        item = prior ?? null;
      } else {
        const state = rest.reduce((s, entry) => applyOp(s, { ...entry.op, author: v.m }), prior.base);
        item = state === null ? null : rest.length > 0 ? { state, base: prior.base } : { state };
      }
      await commit(v, held, { r: [[recordId, item]] }, ['outbox'], async (tx) => {
        if ((await done(tx.objectStore('outbox').get(seq)))?.m === v.m) tx.objectStore('outbox').delete(seq);
      });
    });
  }

  /**
   * Deletes records the member may no longer see (pull `scope`, §7), except those with an outbox entry:
   * an op not pushed yet is never lost silently.
   * @param {string[]} recordIds
   * @returns {Promise<string[]>} the ids deleted
   */
  function dropRecords(recordIds) {
    return serial(async () => {
      const v = vault();
      const held = await fresh();
      const present = recordIds.filter((id) => held.r.get(id));
      const unsent = await withOutbox(v, present);
      const dropped = present.filter((id) => !unsent.has(id));
      if (dropped.length > 0) {
        await commit(v, held, { r: dropped.map((id) => [id, null]) }, []);
        await compact(v, held);
      }
      return dropped;
    });
  }

  /**
   * Deletes records the server erased (an erase op, docs/sync-protocol.md §3.3, §5) with everything this
   * phone holds of them: their current entry and base, their earlier entries in older chunks (each chunk
   * holding one is written again without it), and their ops still in the outbox (the server would absorb
   * them). Unlike dropRecords, an unsent op does not keep the record: erased data goes for good (PIPL).
   * @param {string[]} recordIds
   */
  function eraseRecords(recordIds) {
    return serial(async () => {
      const v = vault();
      const held = await fresh();
      const ids = new Set(recordIds);
      const keys = new Set(await Promise.all(recordIds.map((id) => blind(v.keys, 'records', id))));
      const touched = [...held.r.chunks].filter(([, inChunk]) => [...inChunk].some((id) => ids.has(id))).map(([n]) => n);
      /** @type {[string, RecordItem | null][]} */
      const entries = [];
      for (const n of touched) {
        for (const id of /** @type {Set<string>} */ (held.r.chunks.get(n))) {
          const current = held.r.items.get(id);
          if (!ids.has(id) && current?.n === n) entries.push([id, current.item]);
          else if (!ids.has(id) && held.r.gone.get(id) === n) entries.push([id, null]);
        }
      }
      for (const id of ids) if (held.r.items.has(id)) entries.push([id, null]);
      const n = held.r.last + 1;
      const row = entries.length > 0 ? await sealChunk(v, 'r', n, entries.map((e) => CODEC.r.encode(/** @type {any} */ (e)))) : null;
      await transact(['chunks', 'outbox'], 'readwrite', async (tx) => {
        if (row) tx.objectStore('chunks').add(row);
        for (const gone of touched) tx.objectStore('chunks').delete([v.m, 'r', gone]);
        const outbox = tx.objectStore('outbox');
        for (const entry of await done(outbox.index('member').getAll(v.m))) if (keys.has(entry.r)) outbox.delete(entry.seq);
      });
      if (row) held.r.apply(n, entries);
      held.r.forget(touched);
      for (const listener of listeners) {
        try {
          listener({ records: true, households: false, remote: true });
        } catch (error) {
          console.error('lianhu: data listener failed', error);
        }
      }
    });
  }

  return {
    memberId: m,
    close() {
      bound = null;
      logs = null;
      listeners.clear();
    },
    /**
     * Hears every committed change of records or households (a pulled page, a save), to redraw.
     * @param {(change: {records: boolean, households: boolean, remote: boolean}) => void} listener
     * @returns {() => void} stops listening
     */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getMeta,
    getMetaMany,
    setMeta,
    saveEnrollment,
    saveHouseholds,
    listHouseholds,
    getRecord,
    getRecords,
    listRecords,
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

/**
 * A base moved on by what the server sent: its ops, and its state in a snapshot.
 * @param {State | null} base
 * @param {any[]} ops
 * @param {State | undefined} received
 * @returns {State | null}
 */
function rebase(base, ops, received) {
  let next = base;
  try {
    for (const op of ops) next = applyOp(next, op);
    if (received) next = mergeStates(next, received);
  } catch (error) {
    console.warn('lianhu: the base of a record with unsent ops did not take a pulled change', error);
  }
  return next;
}

/** @typedef {ReturnType<typeof memberData>} MemberData */
