/**
 * One sync round with the server (docs/sync-protocol.md §4–§5):
 *
 *   1. push   the pending outbox entries in creation order, in batches. accepted and duplicate leave the
 *             outbox; rejected stay, marked with the code and messages, and are never sent again by
 *             themselves (the member retries or discards them). A network error or a 5xx stops the push
 *             with every unanswered entry untouched, so the next round sends them again (at least once;
 *             the server answers "duplicate" for what it already had).
 *   2. pull   pages after the stored cursor until `more` is false. Each page is merged into the local
 *             records with applyOp, its clocks observed, and saved with the new cursor in one transaction.
 *             A page's `drop` deletes restricted records the member may no longer read, in the same
 *             transaction; its `scope.grids` says which grids are still the member's (§5, §7).
 *   3. the household list (only households of those grids), then every local record whose household is
 *      not on it is deleted — except records with an op still in the outbox: nothing unsent is lost
 *      silently (§7); then the member's grids, and colleagues' names (GET /api/members).
 *
 * A round starts by asking /api/me whose session the cookie carries: it must be this member's device
 * (`deviceId`), or nothing is pushed or pulled (on a shared tablet the cookie may be a colleague's).
 * Every response's server_time updates the clock offset used to stamp new ops (§3.1).
 * `createSyncer` makes sure only one round runs at a time, and tries again with backoff after a round that
 * failed for a passing reason (sync-schedule.js).
 */

import { ApiError } from './api.js';
import * as defaultDb from './db.js';
import { withLock } from './lock.js';
import { HybridClock } from './sync/clock.js';
import { applyOp } from './sync/merge.js';
import { MergeError } from './sync/merge-error.js';
import { answerSyncRequests, createRetry, registerBackgroundSync } from './sync-schedule.js';

export const PUSH_BATCH_OPS = 100;
// The server takes 1 MiB per request (§6); a batch of long Chinese notes can exceed that at 100 ops.
export const PUSH_BATCH_BYTES = 256 * 1024;
export const PULL_LIMIT = 500;

const DONE = new Set(['accepted', 'duplicate']);
/** Rejections the protocol says to retry (§4): the op stays pending and goes out again next round. */
export const RETRY_CODES = new Set(['not_created_yet']);

/**
 * @typedef {object} SyncDeps
 * @property {import('./api.js').Api} api
 * @property {import('./db.js').MemberVerbs} [db]
 * @property {() => number} [now]
 * @property {string} [deviceId]   the unlocked member's device: the session must be this one's
 */

/**
 * @typedef {object} SyncResult
 * @property {number} pushed     entries the server took (accepted or duplicate)
 * @property {number} rejected   entries newly marked rejected
 * @property {number} pulled     ops received
 */

/**
 * @param {SyncDeps} deps
 * @returns {Promise<SyncResult>}
 */
export async function syncOnce({ api, db = defaultDb, now = Date.now, deviceId }) {
  const me = await api.me();
  if (deviceId && me?.device?.id !== deviceId) {
    api.forgetSession();
    throw new ApiError(401, 'unauthenticated', `the session is device ${me?.device?.id}'s, not ${deviceId}'s`, undefined);
  }
  const { pushed, rejected } = await push({ api, db });
  const { ops: pulled, scope } = await pull({ api, db, now });
  await refresh({ api, db, me, pulled, scope });
  return { pushed, rejected, pulled: pulled.length };
}

/**
 * Splits entries into batches of at most PUSH_BATCH_OPS ops and about PUSH_BATCH_BYTES of JSON.
 * @param {any[]} entries
 * @returns {any[][]}
 */
export function batches(entries) {
  /** @type {any[][]} */
  const out = [];
  let current = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = new TextEncoder().encode(JSON.stringify(entry.op)).length;
    if (current.length > 0 && (current.length >= PUSH_BATCH_OPS || bytes + size > PUSH_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * @param {{api: import('./api.js').Api, db: import('./db.js').MemberVerbs}} deps
 */
async function push({ api, db }) {
  const pending = (await db.listOutbox()).filter((entry) => entry.status === 'pending');
  let pushed = 0;
  let rejected = 0;
  for (const batch of batches(pending)) {
    const response = await api.push(batch.map((entry) => entry.op));
    const results = Array.isArray(response?.results) ? response.results : [];
    /** @type {Map<number, any>} */
    const updates = new Map();
    batch.forEach((entry, i) => {
      const result = results[i];
      // Results come in request order (§4); the id check guards against a server that broke that.
      if (!result || (result.id !== null && result.id !== entry.op.id)) return;
      if (DONE.has(result.status)) {
        updates.set(entry.seq, null);
        pushed += 1;
      } else if (result.status === 'rejected' && RETRY_CODES.has(result.code)) {
        // The record is not on the server yet (its create is still on its way): leave it pending.
      } else if (result.status === 'rejected') {
        updates.set(entry.seq, {
          ...entry,
          status: 'rejected',
          code: String(result.code ?? 'unknown'),
          message: String(result.message ?? ''),
          message_zh: result.message_zh ?? undefined,
          rejectedAt: Date.now(),
        });
        rejected += 1;
      }
    });
    await db.settleOutbox(updates);
  }
  return { pushed, rejected };
}

/**
 * @param {{api: import('./api.js').Api, db: import('./db.js').MemberVerbs, now: () => number}} deps
 * @returns {Promise<{ops: any[], scope: {grids: number[]} | null}>} every op pulled, the last scope
 */
async function pull({ api, db, now }) {
  /** @type {any[]} */
  const all = [];
  let scope = null;
  let cursor = await db.getMeta('cursor');
  for (;;) {
    const page = await api.pull(cursor ?? null, PULL_LIMIT);
    const ops = Array.isArray(page.ops) ? page.ops : [];
    const drop = Array.isArray(page.drop) ? page.drop.filter((id) => typeof id === 'string') : [];
    await withLock('write', () => applyPage({ db, ops, drop, cursor: page.cursor, now }));
    all.push(...ops);
    if (Array.isArray(page.scope?.grids)) scope = page.scope;
    cursor = page.cursor;
    if (!page.more || ops.length === 0) break;
  }
  return { ops: all, scope };
}

/**
 * @param {{db: import('./db.js').MemberVerbs, ops: any[], drop: string[], cursor: string, now: () => number}} page
 */
async function applyPage({ db, ops, drop, cursor, now }) {
  const meta = await db.getMetaMany(['clock', 'device', 'serverOffset']);
  const clock = meta.clock ? HybridClock.fromJSON(meta.clock) : new HybridClock(meta.device.id);
  const states = await db.getRecords([...new Set(ops.map((op) => op.record))]);
  /** @type {Set<string>} */
  const changed = new Set();
  const physical = Math.round(now() + (meta.serverOffset ?? 0));
  for (const op of ops) {
    try {
      states.set(op.record, applyOp(states.get(op.record) ?? null, op));
      changed.add(op.record);
    } catch (error) {
      // The server stored it, so our merge should take it; if it cannot, skipping one op is better than
      // a cursor stuck on it forever. The op stays on the server and in the record's history.
      if (!(error instanceof MergeError || error instanceof TypeError)) throw error;
      console.warn('lianhu: pulled op not applied', op.id, error);
      continue;
    }
    try {
      clock.observe(op.clock, physical);
    } catch (error) {
      console.warn('lianhu: pulled clock not observed', op.clock, error);
    }
  }
  // An erase op leaves a husk (§3.3): the record leaves this phone with everything it held of it (§5).
  const erased = [...changed].filter((id) => states.get(id)?.erased);
  for (const id of erased) changed.delete(id);
  if (erased.length > 0) await db.eraseRecords(erased);
  await db.saveRemoteOps({
    ops: ops.filter((op) => !erased.includes(op.record)),
    states: [...changed].map((id) => states.get(id)),
    clock: clock.toJSON(),
    cursor,
    drop,
  });
}

/**
 * Households of the member's grids, the records that left them, the grids, and colleagues' names.
 * @param {{api: import('./api.js').Api, db: import('./db.js').MemberVerbs, me: any, pulled: any[],
 *          scope: {grids: number[]} | null}} deps
 */
async function refresh({ api, db, me, pulled, scope }) {
  const { households } = await api.households();
  if (Array.isArray(households)) {
    const grids = scope ? new Set(scope.grids) : null;
    const mine = households.filter((household) => !grids || grids.has(household.grid?.id ?? household.grid));
    const kept = new Set(mine.map((household) => household.id));
    const had = await db.listHouseholds();
    await db.replaceHouseholds(mine);
    // Records only leave the scope with their households, so most rounds need not read every record.
    if (had.length === 0 || had.some((household) => !kept.has(household.id))) {
      const gone = (await db.listRecords()).filter((state) => !kept.has(state.household)).map((state) => state.id);
      if (gone.length > 0) await withLock('write', () => db.dropRecords(gone));
    }
  }
  // rules: curtain deadlines and visit cadence (§8), for the due lists the phone computes offline.
  await db.setMeta({ member: me.member, grids: me.grids ?? [], ...(me.rules ? { rules: me.rules } : {}) });

  const authors = (await db.getMeta('authors')) ?? null;
  const unknown = pulled.some((op) => op.author != null && op.author !== me.member?.id && !(op.author in (authors ?? {})));
  if (authors === null || unknown) {
    const { members } = await api.members();
    if (Array.isArray(members)) {
      await db.setMeta({ authors: Object.fromEntries(members.map((member) => [member.id, member.name])) });
    }
  }
}

/**
 * @typedef {object} SyncState
 * @property {boolean} running
 * @property {{at: number, ok: boolean, code?: string, message?: string} | null} last
 */

/**
 * Serializes sync rounds. Asking while a round runs queues one more round after it (one at most, shared
 * by every asker), so whatever was saved before the ask is pushed by the round the ask resolves with.
 * `onChange` hears when a round starts and ends, and the round is not over until it has returned; the
 * outcome is also stored as meta "lastSync" so a reload still shows it.
 *
 * A round that failed for a passing reason (no answer, 5xx, 429) is tried again by itself after 2 s, 4 s,
 * 8 s … at most 60 s apart, and registers a Background Sync; a success resets the backoff. The retries and
 * the service worker's "sync now" stop once this syncer's member is locked (its db says LockedError).
 * @param {SyncDeps & {onChange?: (state: SyncState) => void | Promise<void>,
 *   retry?: Partial<import('./sync-schedule.js').RetryDeps>, events?: any}} deps
 *   `retry`: timers, random and Background Sync for tests; `events`: where "sync now" requests arrive
 */
export function createSyncer({ onChange, retry: retryDeps, events, ...deps }) {
  const db = deps.db ?? defaultDb;
  // Any read of the member's data fails with LockedError once the member is locked.
  const alive = () => db.getMeta('device').then(() => true, (error) => error?.name !== 'LockedError');
  const retry = createRetry({ run: () => run(), alive, registerBackground: () => registerBackgroundSync(), ...retryDeps });
  answerSyncRequests({ run: () => run(), alive, target: events });
  /** @type {Promise<SyncResult | null> | null} */
  let running = null;
  /** @type {Promise<SyncResult | null> | null} */
  let queued = null;

  /** @param {SyncState} state */
  async function notify(state) {
    try {
      await onChange?.(state);
    } catch (error) {
      console.error('lianhu: sync listener failed', error);
    }
  }

  /** @returns {Promise<SyncResult | null>} */
  async function round() {
    retry.roundStarted();
    await notify({ running: true, last: null });
    let last;
    /** @type {SyncResult | null} */
    let result = null;
    /** @type {unknown} */
    let failure = null;
    try {
      result = await syncOnce(deps);
      last = { at: Date.now(), ok: true };
    } catch (error) {
      failure = error ?? new Error('sync failed');
      const e = /** @type {any} */ (error);
      if (!e || !['NetworkError', 'ApiError', 'LockedError'].includes(e.name)) console.error('lianhu: sync failed', error);
      last = { at: Date.now(), ok: false, code: e?.code ?? 'unknown', message: String(e?.message ?? e) };
    }
    retry.roundEnded(failure);
    // A member locked meanwhile cannot store the outcome (LockedError): there is nobody to tell then.
    await db.setMeta({ lastSync: last }).catch(() => {});
    await notify({ running: false, last });
    return result;
  }

  /** @returns {Promise<SyncResult | null>} null when the round failed */
  function run() {
    if (!running) {
      running = round().finally(() => {
        running = null;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = null;
      return run();
    });
    return queued;
  }

  return {
    run,
    get running() {
      return running !== null;
    },
    /** The wait before the pending retry in ms, null if none is pending. */
    get retryIn() {
      return retry.pending;
    },
  };
}
