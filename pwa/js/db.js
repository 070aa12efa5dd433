/**
 * The phone's IndexedDB: the only module that knows the database name, version, stores and indexes
 * (as workbox's QueueDb is for its queue). Everything else calls the verbs below.
 *
 * Stores (version 1):
 *   meta        key → value: "token", "device" {id,label}, "member" {id,name,role}, "grids" [...],
 *               "clock" (HybridClock.toJSON()), "cursor" (pull cursor), "serverOffset" (ms),
 *               "lastSync" {at, ok, code?}, "authors" {memberId: name}, "lang", "persisted"
 *   households  {id, grid, address, head, tags, care_level}            index grid
 *   records     materialized state per record (docs/sync-protocol.md §3.3), indexes type, household
 *   ops         every op this phone knows (made here or pulled), key id   index record
 *   outbox      {seq, op, status: "pending"|"rejected", code?, message?, message_zh?, createdAt}
 *               seq autoincrements, so key order is creation order       index record (op.record)
 *
 * Writes that belong together (an op, the record it changes, the clock that stamped it and its outbox
 * entry) happen in one transaction, so a phone that dies mid-save never holds half a visit.
 */

const DB_NAME = 'lianhu';
const DB_VERSION = 1;

/**
 * @param {IDBDatabase} db
 * @param {number} oldVersion
 */
function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore('meta');
    db.createObjectStore('households', { keyPath: 'id' }).createIndex('grid', 'grid');
    const records = db.createObjectStore('records', { keyPath: 'id' });
    records.createIndex('type', 'type');
    records.createIndex('household', 'household');
    db.createObjectStore('ops', { keyPath: 'id' }).createIndex('record', 'record');
    db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true }).createIndex('record', 'op.record');
  }
}

/** @type {Promise<IDBDatabase> | null} */
let opening = null;

/** @returns {Promise<IDBDatabase>} */
export function open() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    request.onsuccess = () => {
      const db = request.result;
      // Another tab with a newer app version wants to upgrade: step aside instead of blocking it.
      db.onversionchange = () => {
        db.close();
        opening = null;
      };
      resolve(db);
    };
    request.onerror = () => {
      opening = null;
      reject(request.error);
    };
  });
  return opening;
}

/**
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Runs `work` in one transaction and resolves with its result once the transaction has committed.
 * `work` may await requests of this transaction, but nothing else, or the transaction closes early.
 * @template T
 * @param {string[]} stores
 * @param {IDBTransactionMode} mode
 * @param {(tx: IDBTransaction) => Promise<T> | T} work
 * @returns {Promise<T>}
 */
async function transact(stores, mode, work) {
  const db = await open();
  const tx = db.transaction(stores, mode);
  const committed = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(undefined);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
  let result;
  try {
    result = await work(tx);
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // already finished
    }
    committed.catch(() => {});
    throw error;
  }
  await committed;
  return result;
}

// ---- meta ----

/**
 * @param {string} key
 * @returns {Promise<any>}
 */
export function getMeta(key) {
  return transact(['meta'], 'readonly', (tx) => done(tx.objectStore('meta').get(key)));
}

/**
 * @param {string[]} keys
 * @returns {Promise<Record<string, any>>}
 */
export function getMetaMany(keys) {
  return transact(['meta'], 'readonly', async (tx) => {
    const store = tx.objectStore('meta');
    const values = await Promise.all(keys.map((key) => done(store.get(key))));
    return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
  });
}

/**
 * @param {Record<string, any>} entries  key → value; undefined deletes the key
 */
export function setMeta(entries) {
  return transact(['meta'], 'readwrite', (tx) => {
    const store = tx.objectStore('meta');
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) store.delete(key);
      else store.put(value, key);
    }
  });
}

// ---- households ----

/**
 * Replaces the household list with the server's (households can leave the member's grids).
 * @param {object[]} households
 */
export function replaceHouseholds(households) {
  return transact(['households'], 'readwrite', (tx) => {
    const store = tx.objectStore('households');
    store.clear();
    for (const household of households) store.put(household);
  });
}

/** @returns {Promise<any[]>} */
export function listHouseholds() {
  return transact(['households'], 'readonly', (tx) => done(tx.objectStore('households').getAll()));
}

// ---- records and ops ----

/**
 * @param {string} id
 * @returns {Promise<any | undefined>}
 */
export function getRecord(id) {
  return transact(['records'], 'readonly', (tx) => done(tx.objectStore('records').get(id)));
}

/**
 * @param {string[]} ids
 * @returns {Promise<Map<string, any>>} only the records that exist
 */
export function getRecords(ids) {
  return transact(['records'], 'readonly', async (tx) => {
    const store = tx.objectStore('records');
    const found = await Promise.all(ids.map((id) => done(store.get(id))));
    return new Map(found.filter(Boolean).map((state) => [state.id, state]));
  });
}

/**
 * @param {string} type
 * @returns {Promise<any[]>}
 */
export function listRecords(type) {
  return transact(['records'], 'readonly', (tx) => done(tx.objectStore('records').index('type').getAll(type)));
}

/**
 * @param {string} recordId
 * @returns {Promise<any[]>}
 */
export function listOpsOfRecord(recordId) {
  return transact(['ops'], 'readonly', (tx) => done(tx.objectStore('ops').index('record').getAll(recordId)));
}

/**
 * Saves an op made on this phone: the op as applied, the record it produced, the advanced clock, and
 * the outbox entry that will push it, all or nothing.
 * @param {{op: any, wireOp: any, state: any, clock: any, createdAt: number}} change
 * @returns {Promise<number>} the outbox seq
 */
export function saveLocalOp({ op, wireOp, state, clock, createdAt }) {
  return transact(['meta', 'records', 'ops', 'outbox'], 'readwrite', (tx) => {
    tx.objectStore('meta').put(clock, 'clock');
    tx.objectStore('records').put(state);
    tx.objectStore('ops').put(op);
    return done(tx.objectStore('outbox').add({ op: wireOp, status: 'pending', createdAt }));
  }).then((seq) => /** @type {number} */ (seq));
}

/**
 * Saves one pulled page: its ops, the records they changed, the clock that observed them and the cursor
 * after them, all or nothing (so a cursor never moves past ops that were not stored).
 * @param {{ops: any[], states: any[], clock: any, cursor: string}} page
 */
export function saveRemoteOps({ ops, states, clock, cursor }) {
  return transact(['meta', 'records', 'ops'], 'readwrite', (tx) => {
    for (const op of ops) tx.objectStore('ops').put(op);
    for (const state of states) tx.objectStore('records').put(state);
    tx.objectStore('meta').put(clock, 'clock');
    tx.objectStore('meta').put(cursor, 'cursor');
  });
}

// ---- outbox ----

/** @returns {Promise<any[]>} every entry, oldest first */
export function listOutbox() {
  return transact(['outbox'], 'readonly', (tx) => done(tx.objectStore('outbox').getAll()));
}

/** @returns {Promise<number>} */
export function countOutbox() {
  return transact(['outbox'], 'readonly', (tx) => done(tx.objectStore('outbox').count()));
}

/**
 * Applies push results: `null` removes the entry (accepted or duplicate), an object replaces it (e.g.
 * marked rejected). An entry that disappeared meanwhile (discarded by the member) stays gone.
 * @param {Map<number, any | null>} updates  seq → new entry or null
 */
export function settleOutbox(updates) {
  return transact(['outbox'], 'readwrite', async (tx) => {
    const store = tx.objectStore('outbox');
    for (const [seq, entry] of updates) {
      if (entry === null) {
        store.delete(seq);
      } else if (await done(store.getKey(seq)) !== undefined) {
        store.put({ ...entry, seq });
      }
    }
  });
}

/**
 * Drops a rejected op for good and puts back the record as the remaining ops build it (`state` null:
 * the record had no other op and disappears).
 * @param {{seq: number, opId: string, recordId: string, state: any | null}} discard
 */
export function discardLocalOp({ seq, opId, recordId, state }) {
  return transact(['records', 'ops', 'outbox'], 'readwrite', (tx) => {
    tx.objectStore('outbox').delete(seq);
    tx.objectStore('ops').delete(opId);
    if (state === null) tx.objectStore('records').delete(recordId);
    else tx.objectStore('records').put(state);
  });
}

/** Forgets everything (tests and a future "leave this device" action). */
export function clearAll() {
  const stores = ['meta', 'households', 'records', 'ops', 'outbox'];
  return transact(stores, 'readwrite', (tx) => {
    for (const name of stores) tx.objectStore(name).clear();
  });
}
