/**
 * This browser's side of the database (schema in db/schema.js): its settings and the directory of the
 * members enrolled here. Plaintext on purpose: it is what the start screen needs before any PIN unlocks
 * a member's data.
 */

import { done, MEMBER_STORES, transact } from './schema.js';

/** @param {string} key */
export function getSetting(key) {
  return transact(['settings'], 'readonly', (tx) => done(tx.objectStore('settings').get(key)));
}

/** @param {Record<string, any>} entries  undefined deletes the key */
export function setSettings(entries) {
  return transact(['settings'], 'readwrite', (tx) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) tx.objectStore('settings').delete(key);
      else tx.objectStore('settings').put(value, key);
    }
  });
}

/** @returns {Promise<any[]>} every member enrolled on this browser, by id */
export function listMembers() {
  return transact(['members'], 'readonly', (tx) => done(tx.objectStore('members').getAll()));
}

/** @param {number} id */
export function getMember(id) {
  return transact(['members'], 'readonly', (tx) => done(tx.objectStore('members').get(id)));
}

/**
 * Read-modify-write of one member entry in one transaction (a failed-PIN count must never be lost to a
 * reload between the read and the write).
 * @param {number} id
 * @param {(entry: any) => any} change  gets the entry (undefined if none), returns the new one
 * @returns {Promise<any>} the new entry
 */
export function updateMember(id, change) {
  return transact(['members'], 'readwrite', async (tx) => {
    const next = change(await done(tx.objectStore('members').get(id)));
    tx.objectStore('members').put(next);
    return next;
  });
}

/**
 * @param {number} memberId
 * @returns {Promise<number>} outbox entries of that member; needs no key
 */
export function countOutboxOf(memberId) {
  return transact(['outbox'], 'readonly', (tx) => done(tx.objectStore('outbox').index('member').count(memberId)));
}

/** Forgets everything of every member on this browser (tests). */
export function clearAll() {
  const stores = ['settings', 'members', ...MEMBER_STORES, 'outbox'];
  return transact(stores, 'readwrite', (tx) => {
    for (const name of stores) tx.objectStore(name).clear();
  });
}
