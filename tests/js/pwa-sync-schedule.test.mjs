// The sync client tries again by itself after a failed round (issue 8): backoff with jitter, reset on
// success, nothing for failures that waiting does not fix, nothing once the member is locked, and the
// service worker's "sync now" answered by the unlocked member's syncer.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError, createApi, NetworkError } from '../../pwa/js/api.js';
import { createVisit } from '../../pwa/js/outbox.js';
import { createSyncer } from '../../pwa/js/sync-client.js';
import {
  answerSyncRequests,
  createRetry,
  isTransient,
  registerBackgroundSync,
  retryDelay,
  RETRY_MAX_MS,
  SYNC_REQUEST_EVENT,
} from '../../pwa/js/sync-schedule.js';
import { enrolledDb, fakeServer } from './pwa-fakes.mjs';

const NOW = 1763712000000;

/** Timers the test fires by hand. */
function manualTimers() {
  /** @type {{fn: () => void, ms: number, cleared: boolean}[]} */
  const timers = [];
  return {
    timers,
    setTimer: (/** @type {() => void} */ fn, /** @type {number} */ ms) => {
      const timer = { fn, ms, cleared: false };
      timers.push(timer);
      return timer;
    },
    clearTimer: (/** @type {any} */ timer) => {
      timer.cleared = true;
    },
    pending() {
      return timers.filter((timer) => !timer.cleared && !timer.fired);
    },
    async fire() {
      const [timer] = this.pending();
      assert.ok(timer, 'a retry is pending');
      /** @type {any} */ (timer).fired = true;
      await timer.fn();
    },
  };
}

test('the wait doubles from 2 s up to 60 s, each within ±25 %', () => {
  const low = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => retryDelay(n, () => 0));
  const high = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => retryDelay(n, () => 1));
  const mid = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => retryDelay(n, () => 0.5));
  assert.deepEqual(mid, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  assert.deepEqual(low, [1500, 3000, 6000, 12000, 24000, 45000, 45000, 45000]);
  assert.deepEqual(high, [2500, 5000, 10000, 20000, 40000, 60000, 60000, 60000]);
  assert.ok(high.every((ms) => ms <= RETRY_MAX_MS));
});

test('only failures that may pass are retried: no answer, 5xx, 429', () => {
  assert.equal(isTransient(new NetworkError('offline')), true);
  assert.equal(isTransient(new ApiError(503, 'busy', 'busy', undefined)), true);
  assert.equal(isTransient(new ApiError(429, 'rate_limited', 'slow down', undefined)), true);
  assert.equal(isTransient(new ApiError(401, 'unauthenticated', 'log in', undefined)), false);
  assert.equal(isTransient(new ApiError(400, 'invalid_cursor', 'bad', undefined)), false);
  assert.equal(isTransient(Object.assign(new Error('locked'), { name: 'LockedError' })), false);
  assert.equal(isTransient(null), false);
});

test('a failure schedules one retry and registers a background sync; a success resets the backoff', async () => {
  const clock = manualTimers();
  let runs = 0;
  let registered = 0;
  const retry = createRetry({ run: () => (runs += 1), random: () => 0.5, registerBackground: () => (registered += 1), ...clock });
  const offline = new NetworkError('offline');

  retry.roundEnded(offline);
  assert.equal(retry.pending, 2000);
  retry.roundStarted(); // a round asked for by something else cancels the pending retry
  assert.equal(retry.pending, null);
  retry.roundEnded(offline);
  assert.equal(retry.pending, 4000);
  await clock.fire();
  assert.equal(runs, 1);
  retry.roundEnded(offline);
  assert.equal(retry.pending, 8000);
  assert.equal(registered, 3);
  assert.equal(clock.pending().length, 1, 'never two retries pending');

  retry.roundEnded(null);
  assert.equal(retry.pending, null);
  retry.roundEnded(offline);
  assert.equal(retry.pending, 2000, 'back to 2 s after a success');

  retry.roundEnded(new ApiError(401, 'unauthenticated', 'log in', undefined));
  assert.equal(retry.pending, null, 'a 401 waits for a login, not a timer');
});

test('a retry due after the member was locked runs no round, and none after it', async () => {
  const clock = manualTimers();
  let runs = 0;
  const retry = createRetry({ run: () => (runs += 1), alive: async () => false, ...clock });
  retry.roundEnded(new NetworkError('offline'));
  await clock.fire();
  assert.equal(runs, 0);
  retry.roundEnded(new NetworkError('offline'));
  assert.equal(retry.pending, null);
});

test('a visit saved with no signal reaches the server by itself once the signal is back, with no online event', async () => {
  const server = fakeServer();
  const db = enrolledDb();
  let signal = false;
  /** @type {typeof fetch} */
  const fetch = (input, init) => (signal ? server.fetch(input, init) : Promise.reject(new TypeError('Failed to fetch')));
  const clock = manualTimers();
  const syncer = createSyncer({ api: createApi({ fetch }), db, retry: { ...clock, random: () => 0.5 } });

  await createVisit({ household: 'hh-1', date: '2026-11-21', items: ['policy'], notes: '楼道灯不亮', request: null }, { db, now: () => NOW });
  assert.equal(await syncer.run(), null, 'the round after the save fails: no signal');
  assert.equal(syncer.retryIn, 2000);
  await clock.fire();
  await waitIdle(syncer);
  assert.equal(syncer.retryIn, 4000, 'still nothing: the wait doubles');
  assert.equal(server.log.length, 0);

  signal = true; // the radio carries packets again; the browser says nothing
  await clock.fire();
  await waitIdle(syncer);
  assert.equal(db.outbox.size, 0, 'the visit left the outbox');
  assert.equal(server.log.length, 1, 'the server has it');
  assert.equal(syncer.retryIn, null, 'nothing more to retry');
  assert.equal(db.meta.get('lastSync').ok, true);
});

test("the service worker's sync request is answered by the unlocked member's round", async () => {
  const target = new EventTarget();
  let runs = 0;
  answerSyncRequests({ run: async () => ((runs += 1), { pushed: 1 }), alive: async () => true, target });
  const answered = [];
  const event = new CustomEvent(SYNC_REQUEST_EVENT, { cancelable: true, detail: { port: { postMessage: (/** @type {any} */ m) => answered.push(m) } } });
  assert.equal(target.dispatchEvent(event), false, 'claimed, so register-sw.js does not answer "no"');
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(runs, 1);
  assert.deepEqual(answered, [{ ok: true }]);
});

test('a locked member stops answering sync requests', async () => {
  const target = new EventTarget();
  let runs = 0;
  answerSyncRequests({ run: async () => ((runs += 1), null), alive: async () => false, target });
  const fire = () => target.dispatchEvent(new CustomEvent(SYNC_REQUEST_EVENT, { cancelable: true, detail: {} }));
  fire();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(fire(), true, 'no longer listening: unclaimed');
  assert.equal(runs, 0);
});

/** @param {{running: boolean}} syncer */
async function waitIdle(syncer) {
  for (let i = 0; i < 200 && syncer.running; i += 1) await new Promise((resolve) => setTimeout(resolve, 1));
  // The retry is scheduled as the round ends: let its last microtasks run.
  await new Promise((resolve) => setTimeout(resolve, 1));
}

test('Background Sync is registered only while the browser says it is offline (online, it would fire at once)', async () => {
  const tags = [];
  const container = { ready: Promise.resolve({ sync: { register: async (/** @type {string} */ tag) => tags.push(tag) } }) };
  registerBackgroundSync(container, true);
  registerBackgroundSync(container, false);
  registerBackgroundSync({ ready: Promise.resolve({}) }, false); // no Background Sync here: nothing, no error
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(tags, ['lianhu-outbox']);
});
