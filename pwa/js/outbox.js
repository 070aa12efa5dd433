/**
 * Writing on the phone: every change becomes one op (docs/sync-protocol.md §3.2) that is stamped by this
 * device's hybrid logical clock, applied to the local record at once (the member sees it immediately,
 * signal or not), and appended to the outbox that the sync client pushes, in creation order.
 *
 * The clock state is persisted in the same transaction as the op it stamped, so a stamp is never reused
 * after a crash; all of it runs under the "write" lock, shared with applying pulled pages.
 */

import * as defaultDb from './db.js';
import { withLock } from './lock.js';
import { HybridClock } from './sync/clock.js';
import { applyOp } from './sync/merge.js';
import { uuid7 } from './sync/uuid7.js';

/**
 * @typedef {object} OutboxDeps
 * @property {import('./db.js').MemberVerbs} [db]
 * @property {() => number} [now]   Date.now, replaced in tests
 */

/**
 * Makes, applies and queues one op.
 * @param {{record: string, type: string, household: string, kind: 'set' | 'append' | 'delete' | 'restore',
 *          fields?: Record<string, any>, field?: string, value?: any}} change
 * @param {OutboxDeps} [deps]
 * @returns {Promise<any>} the op as pushed
 */
export function writeOp(change, { db = defaultDb, now = Date.now } = {}) {
  return withLock('write', async () => {
    const meta = await db.getMetaMany(['clock', 'device', 'member', 'serverOffset']);
    if (!meta.device || !meta.member) throw new Error('this device is not enrolled');
    const clock = meta.clock ? HybridClock.fromJSON(meta.clock) : new HybridClock(meta.device.id);
    const physical = Math.round(now() + (meta.serverOffset ?? 0));
    const wireOp = {
      id: uuid7(),
      record: change.record,
      type: change.type,
      household: change.household,
      clock: clock.now(physical),
      replica: meta.device.id,
      kind: change.kind,
      ...(change.kind === 'set' ? { fields: change.fields } : {}),
      ...(change.kind === 'append' ? { field: change.field, value: change.value } : {}),
    };
    // Locally the op carries its author as the server will attach it (§3.2), so our own op coming back
    // in a pull is the very same op and applying it again changes nothing.
    const op = { ...wireOp, author: meta.member.id };
    const before = (await db.getRecord(change.record)) ?? null;
    const state = applyOp(before, op);
    await db.saveLocalOp({ op, wireOp, state, clock: clock.toJSON(), createdAt: now() });
    return wireOp;
  });
}

/**
 * A new record: one `set` op with every field given (docs §3.2). `record` is the derived id for types
 * declared with one (§3.5), else a fresh UUIDv7. No declaration checks here: records.js does them.
 * @param {{type: string, household: string, fields: Record<string, any>, record?: string}} create
 * @param {OutboxDeps} [deps]
 * @returns {Promise<string>} the record's id
 */
export async function createRecord({ type, household, fields, record = uuid7() }, deps) {
  await writeOp({ record, type, household, kind: 'set', fields }, deps);
  return record;
}

/**
 * An edit: one `set` op with only the changed fields, so a colleague's concurrent edit of another field
 * survives the merge (each field is its own register); nothing at all when nothing changed.
 * @param {{id: string, type: string, household: string}} record
 * @param {Record<string, any>} changes
 * @param {OutboxDeps} [deps]
 * @returns {Promise<boolean>} whether an op was made
 */
export async function editRecord({ id, type, household }, changes, deps) {
  if (Object.keys(changes).length === 0) return false;
  await writeOp({ record: id, type, household, kind: 'set', fields: changes }, deps);
  return true;
}

/**
 * One entry appended to a record's log (an escalation step, a mediation session, a request's step): an
 * `append` op, so entries written concurrently on two phones both survive (§3.3).
 * @param {{id: string, type: string, household: string}} record
 * @param {string} field  the log
 * @param {any} value     the entry
 * @param {OutboxDeps} [deps]
 */
export async function appendEntry({ id, type, household }, field, value, deps) {
  await writeOp({ record: id, type, household, kind: 'append', field, value }, deps);
}

/**
 * A new home visit 走访 (kept for scripts and tests that make one without the form).
 * @param {{household: string} & Record<string, any>} visit
 * @param {OutboxDeps} [deps]
 */
export function createVisit({ household, ...fields }, deps) {
  return createRecord({ type: 'visit', household, fields }, deps);
}

/**
 * @param {{id: string, household: string}} visit
 * @param {Record<string, any>} changes
 * @param {OutboxDeps} [deps]
 */
export function editVisit(visit, changes, deps) {
  return editRecord({ ...visit, type: 'visit' }, changes, deps);
}

/**
 * The member gives up a rejected op: it leaves the outbox and the record is rebuilt without it — from
 * what the server sent and the ops still to push (db/member-data.js keeps the record's base for this) —
 * so the phone shows again what the server holds, plus what is still on its way.
 * @param {{seq: number, op: any}} entry  a rejected outbox entry
 * @param {OutboxDeps} [deps]
 */
export function discardRejected(entry, { db = defaultDb } = {}) {
  return withLock('write', () => db.discardLocalOp({ seq: entry.seq, opId: entry.op.id, recordId: entry.op.record }));
}

/**
 * The member asks to send a rejected op again (e.g. after a coordinator fixed their grids).
 * @param {any} entry  a rejected outbox entry
 * @param {OutboxDeps} [deps]
 */
export function retryRejected(entry, { db = defaultDb } = {}) {
  const { code, message, message_zh, ...rest } = entry;
  return db.settleOutbox(new Map([[entry.seq, { ...rest, status: 'pending' }]]));
}
