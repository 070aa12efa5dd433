/**
 * The phone's IndexedDB schema, connection and transactions. pwa/js/db.js (with db/directory.js and
 * db/member-data.js) is the only module that knows the database name, version, stores and keys (as
 * workbox's QueueDb is for its queue). Everything else calls the verbs db.js exports.
 *
 * Version 3 (issue 8) keeps several members apart on one browser, each member's data encrypted:
 *
 *   settings   key → value, this browser's, not a member's: "lang", "persisted"
 *   members    plaintext, keyPath id: what is needed before a PIN unlocks anything — the member's id
 *              and name, this browser's device {id, label, method, shared}, the device-key CryptoKey,
 *              the wrapped data secret (vault.js), failed-PIN count and lock state
 *   meta       one member's small values, keyPath [m, k]: m the member id, k = HMAC(store ":" id)
 *              (vault.blind), the value AES-GCM-sealed ({iv, data}) with additional data "m|meta|k".
 *              keys: device, member, grids, clock, cursor, householdsCursor, householdGrids, recordGrids,
 *              snapshot, serverOffset, lastSync, lastSyncOk, authors, rules
 *   chunks     one member's records and households, many to a row (db/chunks.js): keyPath [m, c, n],
 *              c = "r" (records) or "h" (households), n = 1, 2, 3 … in the order they were written; the
 *              row's entries sealed together with additional data "m|chunks|c|n". An entry in a later
 *              chunk replaces the same id's in an earlier one, so a write adds one chunk; chunks left with
 *              nothing current are deleted in the same transaction, and small or mostly replaced ones are
 *              merged now and then. Records are kept in their storage form (sync/storage.js).
 *   outbox     keyPath seq (autoincrement, so key order is creation order), {m, r, iv, data}; r is the
 *              blinded record key; the sealed entry is {op, status: "pending"|"rejected", code?, message?,
 *              message_zh?, createdAt}; index member (m), so "3 unsynced" can be counted before unlocking
 *   records, households, ops
 *              version 2's rows, one sealed row per record, household and op (keyPath [m, k], ops with an
 *              index record [m, r]): read once at the member's next unlock, moved into chunks and deleted
 *              (db/legacy.js). Nothing writes them any more.
 *
 * The member verbs work on the member unlocked with `useVault`, and throw LockedError otherwise. Values
 * are sealed before a transaction opens and unsealed after it closed (a transaction closes at the first
 * await of anything else), so writes that belong together still happen in one transaction.
 * Version 1 (one member, plaintext) is dropped on upgrade: it predates any real deployment.
 */

export const DB_NAME = 'lianhu';
const DB_VERSION = 3;
export const MEMBER_STORES = ['meta', 'chunks', 'households', 'records', 'ops'];

/**
 * @param {IDBDatabase} db
 * @param {number} oldVersion
 */
function upgrade(db, oldVersion) {
  if (oldVersion < 2) {
    for (const name of [...db.objectStoreNames]) db.deleteObjectStore(name);
    db.createObjectStore('settings');
    db.createObjectStore('members', { keyPath: 'id' });
    db.createObjectStore('meta', { keyPath: ['m', 'k'] });
    db.createObjectStore('households', { keyPath: ['m', 'k'] });
    db.createObjectStore('records', { keyPath: ['m', 'k'] });
    db.createObjectStore('ops', { keyPath: ['m', 'k'] }).createIndex('record', ['m', 'r']);
    db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true }).createIndex('member', 'm');
  }
  if (oldVersion < 3) db.createObjectStore('chunks', { keyPath: ['m', 'c', 'n'] });
}

/** @param {number} m  every [m, k] key of one member */
export const memberRange = (m) => IDBKeyRange.bound([m], [m, []]);

/** @param {number} m @param {string} c  every chunk key [m, c, n] of one member's collection */
export const chunkRange = (m, c) => IDBKeyRange.bound([m, c], [m, c, []]);

export class LockedError extends Error {
  constructor() {
    super('no member is unlocked');
    this.name = 'LockedError';
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
export function done(request) {
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
export async function transact(stores, mode, work) {
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

