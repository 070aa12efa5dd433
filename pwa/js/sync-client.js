/**
 * One sync round with the server (docs/sync-protocol.md §4–§5):
 *
 *   1. push   the pending outbox entries in creation order, in batches. accepted and duplicate leave the
 *             outbox; rejected stay, marked with the code and messages, and are never sent again by
 *             themselves (the member retries or discards them). A network error or a 5xx stops the push
 *             with every unanswered entry untouched, so the next round sends them again (at least once;
 *             the server answers "duplicate" for what it already had).
 *   2. pull   first the households changed since the stored household cursor (all of them the first
 *             time, or when the member's grids grew), page by page, keeping only those of `scope.grids`
 *             (§8.1). Then the records: a device with no cursor yet (or whose grids grew) starts with a
 *             snapshot of the records' states, open work first (§5.1), and every device goes on with the
 *             pages of ops after its cursor until `more` is false. Each page is merged into the local
 *             records (applyOp, mergeStates), its clocks observed, and saved with the new cursor (and the
 *             snapshot's progress, meta "snapshot") in one transaction, while the next page is on its way.
 *             A page's `drop` deletes restricted records the member may no longer read, in the same
 *             transaction. The app is usable once the open work is in ("history" phase), while the rest
 *             streams in.
 *   3. every local record whose household is not among the stored ones is deleted — except records with an
 *      op still in the outbox: nothing unsent is lost silently (§7); then the member's grids, and
 *      colleagues' names (GET /api/members).
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
import { applyOp, mergeStates } from './sync/merge.js';
import { MergeError } from './sync/merge-error.js';
import { stateFromCompact } from './sync/storage.js';
import { answerSyncRequests, createRetry, registerBackgroundSync } from './sync-schedule.js';

export const PUSH_BATCH_OPS = 100;
// The server takes 1 MiB per request (§6); a batch of long Chinese notes can exceed that at 100 ops.
export const PUSH_BATCH_BYTES = 256 * 1024;
export const PULL_LIMIT = 500;
/** Records of a snapshot page (§5.1): big pages, few round trips on a slow link. */
export const SNAPSHOT_LIMIT = 2000;
export const HOUSEHOLD_LIMIT = 5000;

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

/** @param {number[] | undefined} grids @param {number[]} known  whether `grids` holds one not in `known` */
const gained = (grids, known) => (grids ?? []).some((grid) => !known.includes(grid));

/**
 * The households changed since the stored cursor (a whole listing the first time, and again when the
 * member's grids grew: §8.1), each page saved with its cursor.
 * @param {{api: import('./api.js').Api, db: import('./db.js').MemberVerbs}} deps
 * @returns {Promise<{grids: number[]} | null>} the scope the server answered with
 */
async function pullHouseholds({ api, db }) {
  const meta = await db.getMetaMany(['householdsCursor', 'householdGrids']);
  let after = meta.householdsCursor ?? null;
  let known = meta.householdGrids ?? [];
  /** @param {string | null} from */
  const fetchPage = (from) => {
    const page = api.households({ after: from, limit: HOUSEHOLD_LIMIT });
    page.catch(() => {}); // awaited below; one fetched ahead and never awaited must not be reported
    return page;
  };
  let pending = fetchPage(after);
  for (;;) {
    const page = await pending;
    const grids = Array.isArray(page?.scope?.grids) ? page.scope.grids : null;
    if (!Array.isArray(page?.households) || !grids) throw new TypeError('the household list has no households or scope');
    if (after && gained(grids, known)) {
      after = null; // a grid that is new to me: its households did not change since my cursor
      known = grids;
      pending = fetchPage(null);
      continue;
    }
    if (page.more) pending = fetchPage(page.cursor); // the next page comes while this one is stored
    await withLock('write', () =>
      db.saveHouseholds({ households: page.households, grids, meta: { householdsCursor: page.cursor, householdGrids: grids } }),
    );
    after = page.cursor;
    known = grids;
    if (!page.more) return { grids };
  }
}

/**
 * @param {{api: import('./api.js').Api, db: import('./db.js').MemberVerbs, now: () => number}} deps
 * @returns {Promise<{ops: any[], scope: {grids: number[]} | null}>} every op pulled, the last scope
 */
async function pull({ api, db, now }) {
  let scope = await pullHouseholds({ api, db });
  const meta = await db.getMetaMany(['cursor', 'recordGrids', 'snapshot']);
  /** @type {string | null} */
  let cursor = meta.cursor ?? null;
  /** the grids the records on this phone are complete for */
  let known = meta.recordGrids ?? scope?.grids ?? [];
  if (cursor && gained(scope?.grids, known)) cursor = null; // what a new grid held before my cursor: a snapshot
  let progress = cursor ? (meta.snapshot ?? null) : null;
  let restarted = false;
  /** @type {any[]} */
  const all = [];
  /** @param {string | null} after @param {boolean} snapshot */
  const fetchPage = (after, snapshot) => {
    const page = api.pull(after, snapshot ? SNAPSHOT_LIMIT : PULL_LIMIT, { snapshot: !after });
    page.catch(() => {}); // awaited below; a page fetched ahead and never awaited must not be reported
    return page;
  };
  let pending = fetchPage(cursor, !cursor || progress?.phase === 'open' || progress?.phase === 'history');
  for (;;) {
    const page = await pending;
    const snapshot = page.snapshot && typeof page.snapshot === 'object' ? page.snapshot : null;
    const ops = Array.isArray(page.ops) ? page.ops : [];
    const records = snapshot && Array.isArray(page.records) ? page.records : [];
    const drop = Array.isArray(page.drop) ? page.drop.filter((/** @type {unknown} */ id) => typeof id === 'string') : [];
    if (Array.isArray(page.scope?.grids)) scope = page.scope;
    const grew = snapshot && gained(scope?.grids, known) && !restarted;
    const more = page.more && (snapshot || ops.length > 0);
    // The next page is asked for while this one is stored.
    if (grew) {
      restarted = true;
      progress = null;
      pending = fetchPage(null, true);
    } else if (more) pending = fetchPage(page.cursor, Boolean(snapshot));
    if (snapshot) {
      const received = (progress && progress.phase !== 'done' ? progress.received : 0) + records.length;
      // 'history': the open work is complete (this page or an earlier one said so), the rest is coming.
      const complete = snapshot.phase === 'history' || snapshot.next === 'history' || snapshot.next === 'ops';
      progress = { phase: complete ? 'history' : 'open', received, total: Number(snapshot.total) || 0 };
    } else if (progress && progress.phase !== 'done') {
      progress = { ...progress, phase: 'done', named: false };
    }
    if (!cursor || snapshot) known = scope?.grids ?? known;
    const extra = { recordGrids: known, ...(progress ? { snapshot: progress } : {}) };
    await withLock('write', () => applyPage({ db, ops, records, drop, cursor: page.cursor, now, meta: extra }));
    cursor = page.cursor;
    all.push(...ops);
    if (!grew && !more) break;
  }
  return { ops: all, scope };
}

/**
 * @param {{db: import('./db.js').MemberVerbs, ops: any[], records?: any[], drop: string[], cursor: string,
 *          now: () => number, meta?: Record<string, any>}} page  records: states of a snapshot page (§5.1)
 */
async function applyPage({ db, ops, records = [], drop, cursor, now, meta: extra = {} }) {
  const meta = await db.getMetaMany(['clock', 'device', 'serverOffset']);
  const clock = meta.clock ? HybridClock.fromJSON(meta.clock) : new HybridClock(meta.device.id);
  /** @type {any[]} */
  const received = [];
  let newest = null;
  for (const record of records) {
    try {
      received.push(stateFromCompact(record));
      for (const stamp of record.ops) if (newest === null || stamp[1] > newest) newest = stamp[1];
    } catch (error) {
      console.warn('lianhu: snapshot record not read', record?.id, error);
    }
  }
  const states = await db.getRecords([...new Set([...received.map((state) => state.id), ...ops.map((op) => op.record)])]);
  /** @type {Set<string>} */
  const changed = new Set();
  const physical = Math.round(now() + (meta.serverOffset ?? 0));
  for (const state of received) {
    // A state from the server joins what this phone has (its own unsent ops included), never replaces it.
    const known = states.get(state.id);
    try {
      states.set(state.id, known ? mergeStates(known, state) : state);
      changed.add(state.id);
    } catch (error) {
      if (!(error instanceof MergeError || error instanceof TypeError)) throw error;
      console.warn('lianhu: snapshot record not merged', state.id, error);
    }
  }
  if (newest !== null) {
    try {
      clock.observe(newest, physical);
    } catch (error) {
      console.warn('lianhu: snapshot clock not observed', newest, error);
    }
  }
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
    ops,
    received,
    states: [...changed].map((id) => states.get(id)),
    clock: clock.toJSON(),
    cursor,
    drop,
    meta: extra,
  });
}

/**
 * The records that left the member's households, the grids, and colleagues' names.
 * @param {{api: import('./api.js').Api, db: import('./db.js').MemberVerbs, me: any, pulled: any[],
 *          scope: {grids: number[]} | null}} deps
 */
async function refresh({ api, db, me, pulled, scope }) {
  // Records leave the scope with their households (§7); pull stored only the households of scope.grids.
  if (scope) {
    const kept = new Set((await db.listHouseholds()).map((household) => household.id));
    const gone = (await db.listRecords()).filter((state) => !kept.has(state.household)).map((state) => state.id);
    if (gone.length > 0) await withLock('write', () => db.dropRecords(gone));
  }
  // rules: curtain deadlines and visit cadence (§8), for the due lists the phone computes offline.
  await db.setMeta({ member: me.member, grids: me.grids ?? [], ...(me.rules ? { rules: me.rules } : {}) });

  const { authors = null, snapshot } = await db.getMetaMany(['authors', 'snapshot']);
  const unknown = pulled.some((op) => op.author != null && op.author !== me.member?.id && !(op.author in (authors ?? {})));
  // A snapshot brings records without their ops: after one, ask for the names once.
  const unnamed = snapshot?.phase === 'done' && snapshot.named === false;
  if (authors === null || unknown || unnamed) {
    const { members } = await api.members();
    if (Array.isArray(members)) {
      await db.setMeta({
        authors: Object.fromEntries(members.map((member) => [member.id, member.name])),
        ...(unnamed ? { snapshot: { ...snapshot, named: true } } : {}),
      });
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
