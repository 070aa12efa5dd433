/**
 * The phone's IndexedDB, as verbs. Its schema, and the only code that knows it, is in db/: schema.js
 * (stores, keys, upgrade, transactions), directory.js (settings and the members enrolled on this
 * browser, plaintext) and member-data.js (one member's data, encrypted). Everything else imports this.
 *
 * The member verbs exported here act on the member unlocked now (`useVault`) and throw LockedError
 * when none is. Long-running work (a sync round) should hold on to `current()` instead: that object
 * stays bound to its member and stops working once the member is locked, even if another one unlocks.
 */

import { memberData } from './db/member-data.js';
import { LockedError } from './db/schema.js';

export { clearAll, countOutboxOf, getMember, getSetting, listMembers, setSettings, updateMember } from './db/directory.js';
export { LockedError, open } from './db/schema.js';

/** @type {import('./db/member-data.js').MemberData | null} */
let unlocked = null;

/**
 * Unlocks one member's data with the keys from their data secret (vault.openKeys); locks any other.
 * @param {number} memberId
 * @param {import('./vault.js').VaultKeys} keys
 */
export function useVault(memberId, keys) {
  unlocked?.close();
  unlocked = memberData(memberId, keys);
  return unlocked;
}

/** Forgets the keys: nothing of any member can be read or written until the next unlock. */
export function forgetVault() {
  unlocked?.close();
  unlocked = null;
}

/** @returns {number | null} */
export function unlockedMember() {
  return unlocked?.memberId ?? null;
}

/** @returns {import('./db/member-data.js').MemberData} */
export function current() {
  if (!unlocked) throw new LockedError();
  return unlocked;
}

/** @typedef {import('./db/member-data.js').MemberData} MemberData */
/** @typedef {Omit<MemberData, 'memberId' | 'close' | 'subscribe'>} MemberVerbs  what outbox and sync need; this module has them too */
/** @type {MemberData['getMeta']} */ export const getMeta = (...a) => current().getMeta(...a);
/** @type {MemberData['getMetaMany']} */ export const getMetaMany = (...a) => current().getMetaMany(...a);
/** @type {MemberData['setMeta']} */ export const setMeta = (...a) => current().setMeta(...a);
/** @type {MemberData['saveEnrollment']} */ export const saveEnrollment = (...a) => current().saveEnrollment(...a);
/** @type {MemberData['saveHouseholds']} */ export const saveHouseholds = (...a) => current().saveHouseholds(...a);
/** @type {MemberData['listHouseholds']} */ export const listHouseholds = () => current().listHouseholds();
/** @type {MemberData['getRecord']} */ export const getRecord = (...a) => current().getRecord(...a);
/** @type {MemberData['getRecords']} */ export const getRecords = (...a) => current().getRecords(...a);
/** @type {MemberData['listRecords']} */ export const listRecords = (...a) => current().listRecords(...a);
/** @type {MemberData['saveLocalOp']} */ export const saveLocalOp = (...a) => current().saveLocalOp(...a);
/** @type {MemberData['saveRemoteOps']} */ export const saveRemoteOps = (...a) => current().saveRemoteOps(...a);
/** @type {MemberData['listOutbox']} */ export const listOutbox = () => current().listOutbox();
/** @type {MemberData['countOutbox']} */ export const countOutbox = () => current().countOutbox();
/** @type {MemberData['settleOutbox']} */ export const settleOutbox = (...a) => current().settleOutbox(...a);
/** @type {MemberData['discardLocalOp']} */ export const discardLocalOp = (...a) => current().discardLocalOp(...a);
/** @type {MemberData['dropRecords']} */ export const dropRecords = (...a) => current().dropRecords(...a);
/** @type {MemberData['eraseRecords']} */ export const eraseRecords = (...a) => current().eraseRecords(...a);
