// The PWA's outbox and sync client against an in-memory db and a fake server (docs/sync-protocol.md §4–§5).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApi } from '../../pwa/js/api.js';
import { createVisit, discardRejected, editVisit, retryRejected } from '../../pwa/js/outbox.js';
import { batches, createSyncer, PUSH_BATCH_OPS, syncOnce } from '../../pwa/js/sync-client.js';
import { decodeClock } from '../../pwa/js/sync/clock.js';
import { isUuid7 } from '../../pwa/js/sync/uuid7.js';
import { enrolledDb, fakeServer } from './pwa-fakes.mjs';

const NOW = 1763712000000;

/** @param {ReturnType<typeof fakeServer>} server */
function apiFor(server) {
  return createApi({ fetch: server.fetch });
}

/** @param {Partial<{household: string, date: string, items: string[], notes: string | null, request: string | null}>} overrides */
function visit(overrides = {}) {
  return { household: 'hh-1', date: '2026-11-21', items: ['policy'], notes: '老人身体尚好', request: null, ...overrides };
}

test('a new visit is one set op, stamped, applied locally and queued', async () => {
  const db = enrolledDb({ serverOffset: 5000 });
  const id = await createVisit(visit(), { db, now: () => NOW });
  const [entry] = db.outbox.values();
  assert.equal(entry.status, 'pending');
  assert.equal(entry.op.record, id);
  assert.equal(entry.op.kind, 'set');
  assert.equal(entry.op.replica, 'dev0001');
  assert.ok(isUuid7(entry.op.id) && isUuid7(id));
  assert.deepEqual(entry.op.fields, { date: '2026-11-21', items: ['policy'], notes: '老人身体尚好', request: null });
  assert.equal(entry.op.author, undefined, 'clients never send an author');
  assert.equal(decodeClock(entry.op.clock).wall, NOW + 5000, 'physical time is Date.now() + server offset');
  assert.equal(db.records.get(id).fields.notes.value, '老人身体尚好');
  assert.equal(db.records.get(id).fields.notes.author, 7, 'locally the op carries its author');
  assert.deepEqual(db.meta.get('clock'), { replica: 'dev0001', wall: NOW + 5000, counter: 0 });
});

test('ops made in the same millisecond get increasing clocks', async () => {
  const db = enrolledDb();
  await createVisit(visit(), { db, now: () => NOW });
  await createVisit(visit(), { db, now: () => NOW });
  const [a, b] = [...db.outbox.values()].map((entry) => entry.op.clock);
  assert.ok(a < b, `${a} < ${b}`);
});

test('an edit sends only the changed fields, and nothing when nothing changed', async () => {
  const db = enrolledDb();
  const id = await createVisit(visit(), { db, now: () => NOW });
  assert.equal(await editVisit({ id, household: 'hh-1' }, {}, { db, now: () => NOW }), false);
  assert.equal(db.outbox.size, 1);
  await editVisit({ id, household: 'hh-1' }, { notes: '改过的说明' }, { db, now: () => NOW + 1 });
  const last = [...db.outbox.values()].at(-1);
  assert.deepEqual(last.op.fields, { notes: '改过的说明' });
  assert.equal(db.records.get(id).fields.notes.value, '改过的说明');
  assert.equal(db.records.get(id).fields.notes.overwritten[0].value, '老人身体尚好');
});

test('push: accepted and duplicate leave the outbox, in creation order', async () => {
  const db = enrolledDb();
  db.meta.set('cursor', '0'); // a phone that has synced before: its own ops come back as ops
  const server = fakeServer();
  for (let i = 0; i < 3; i++) await createVisit(visit({ notes: `第${i}次` }), { db, now: () => NOW + i });
  server.store(structuredClone([...db.outbox.values()][1].op)); // the server already has the second one
  const result = await syncOnce({ api: apiFor(server), db, now: () => NOW });
  assert.deepEqual(result, { pushed: 3, rejected: 0, pulled: 3 });
  assert.equal(db.outbox.size, 0);
  const pushed = server.requests.find((r) => r.path === '/api/sync/push');
  assert.deepEqual(pushed?.body.ops.map((/** @type {any} */ op) => op.fields.notes), ['第0次', '第1次', '第2次']);
});

test('push: a rejected op stays, marked with code and messages, and is not sent again by itself', async () => {
  const db = enrolledDb();
  const server = fakeServer({
    reject: (op) =>
      op.household === 'hh-far' ? { code: 'out_of_scope', message: 'household hh-far is not in your grids', message_zh: '该户不在您负责的网格内' } : null,
  });
  const far = await createVisit(visit({ household: 'hh-far' }), { db, now: () => NOW });
  await createVisit(visit(), { db, now: () => NOW + 1 });
  db.meta.set('cursor', '0');
  const api = apiFor(server);
  assert.deepEqual(await syncOnce({ api, db, now: () => NOW }), { pushed: 1, rejected: 1, pulled: 1 });
  const [entry] = db.outbox.values();
  assert.equal(entry.op.record, far);
  assert.equal(entry.status, 'rejected');
  assert.equal(entry.code, 'out_of_scope');
  assert.equal(entry.message_zh, '该户不在您负责的网格内');

  await syncOnce({ api, db, now: () => NOW });
  const pushes = server.requests.filter((r) => r.path === '/api/sync/push');
  assert.equal(pushes.length, 1, 'the second round had nothing to push');

  await retryRejected(entry, { db });
  assert.equal(db.outbox.get(entry.seq).status, 'pending');
  assert.equal(db.outbox.get(entry.seq).code, undefined);
});

test('push: a not_created_yet op stays pending and goes out again next round (§4)', async () => {
  const db = enrolledDb();
  let created = false;
  const server = fakeServer({
    reject: (op) => (created ? null : { code: 'not_created_yet', message: 'record does not exist yet', message_zh: '记录尚未建立' }),
  });
  await createVisit(visit(), { db, now: () => NOW });
  db.meta.set('cursor', '0');
  const api = apiFor(server);
  assert.deepEqual(await syncOnce({ api, db, now: () => NOW }), { pushed: 0, rejected: 0, pulled: 0 });
  const [entry] = db.outbox.values();
  assert.equal(entry.status, 'pending');
  assert.equal(entry.code, undefined);

  created = true;
  assert.deepEqual(await syncOnce({ api, db, now: () => NOW }), { pushed: 1, rejected: 0, pulled: 1 });
  assert.equal(db.outbox.size, 0);
});

test('discarding a rejected op rebuilds the record from what the server has and what is still to push', async () => {
  const db = enrolledDb();
  const server = fakeServer({ reject: (op) => (op.fields?.notes === '被拒绝的修改' ? { code: 'invalid_value', message: 'no' } : null) });
  const id = await createVisit(visit(), { db, now: () => NOW });
  await editVisit({ id, household: 'hh-1' }, { notes: '被拒绝的修改' }, { db, now: () => NOW + 1 });
  await editVisit({ id, household: 'hh-1' }, { items: ['care'] }, { db, now: () => NOW + 2 });
  await syncOnce({ api: apiFor(server), db, now: () => NOW }); // the create is in; the notes are rejected
  await editVisit({ id, household: 'hh-1' }, { request: '修路' }, { db, now: () => NOW + 3 }); // not pushed yet
  const rejected = [...db.outbox.values()].find((entry) => entry.status === 'rejected');
  await discardRejected(rejected, { db });
  assert.equal(db.outbox.size, 1, 'the unsent edit stays');
  const state = db.records.get(id);
  assert.equal(state.fields.notes.value, '老人身体尚好');
  assert.deepEqual(state.fields.notes.overwritten, []);
  assert.deepEqual(state.fields.items.value, ['care'], 'what the server accepted stays');
  assert.equal(state.fields.request.value, '修路', 'what is still to push stays');
});

test('discarding the only op of a record the server never had removes the record', async () => {
  const db = enrolledDb();
  const server = fakeServer({ reject: () => ({ code: 'out_of_scope', message: 'no' }) });
  const id = await createVisit(visit({ household: 'hh-far' }), { db, now: () => NOW });
  await syncOnce({ api: apiFor(server), db, now: () => NOW });
  await discardRejected([...db.outbox.values()][0], { db });
  assert.equal(db.records.has(id), false, 'a record with no op left disappears');
  assert.equal(db.bases.has(id), false);
});

test('a network error or a 5xx leaves every entry to be pushed again', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  await createVisit(visit(), { db, now: () => NOW });
  const api = apiFor(server);

  server.failures.push(() => new TypeError('Failed to fetch'));
  await assert.rejects(syncOnce({ api, db }), { name: 'NetworkError', code: 'network' });
  server.failures.push(() => server.json(503, { error: { code: 'unavailable', message: 'down' } }));
  await assert.rejects(syncOnce({ api, db }), { name: 'ApiError', status: 503 });
  assert.equal([...db.outbox.values()][0].status, 'pending');

  await syncOnce({ api, db });
  assert.equal(db.outbox.size, 0);
  assert.equal(server.log.length, 1);
});

test('push goes in batches of at most 100 ops and about 256 KiB', () => {
  const entries = Array.from({ length: 250 }, (_, i) => ({ seq: i, op: { id: String(i), fields: { notes: 'x' } } }));
  assert.deepEqual(batches(entries).map((b) => b.length), [PUSH_BATCH_OPS, PUSH_BATCH_OPS, 50]);
  const long = Array.from({ length: 30 }, (_, i) => ({ seq: i, op: { id: String(i), fields: { notes: '长'.repeat(5000) } } }));
  const sizes = batches(long).map((b) => b.length);
  assert.ok(sizes.length > 1 && sizes.every((n) => n * 15000 <= 256 * 1024), `batches ${sizes}`);
});

test('pull: pages until more is false, merges ops from other phones, stores the cursor, observes clocks', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  const record = '019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69';
  for (let i = 0; i < 1200; i++) {
    server.store({
      id: `019aa5e2-3c41-7a10-8d2e-${String(i).padStart(12, '0')}`,
      record,
      type: 'visit',
      household: 'hh-1',
      clock: `00${NOW + 60000 + i}-00000`,
      replica: 'otherphone',
      kind: 'set',
      fields: i === 0 ? { date: '2026-11-20', notes: '别人的记录 0' } : { notes: `别人的记录 ${i}` },
      author: 9,
    });
  }
  db.meta.set('cursor', '0'); // a phone that synced before the log began: ops, not a snapshot
  const result = await syncOnce({ api: apiFor(server), db, now: () => NOW });
  assert.equal(result.pulled, 1200);
  const pulls = server.requests.filter((r) => r.path.startsWith('/api/sync/pull'));
  assert.equal(pulls.length, 3);
  assert.ok(pulls[0].path.includes('after=0'), 'the first pull starts at the stored cursor');
  assert.equal(db.meta.get('cursor'), '1200');
  assert.equal(db.records.get(record).fields.notes.value, '别人的记录 1199');
  assert.equal(db.meta.get('clock').wall, NOW + 60000 + 1199, 'the clock moved past every clock it saw');
  assert.equal(db.meta.get('authors')[9], '成员9', 'colleagues are named from GET /api/members');
  assert.equal(db.households.get('hh-1').head, '王秀英');

  await syncOnce({ api: apiFor(server), db, now: () => NOW });
  const lastPull = server.requests.filter((r) => r.path.startsWith('/api/sync/pull')).at(-1);
  assert.ok(lastPull?.path.includes('after=1200'), 'the next round asks after the stored cursor');
  assert.equal(server.requests.filter((r) => r.path === '/api/members').length, 1, 'names are asked for only when new');
});

test('our own op coming back in a pull changes nothing', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  const id = await createVisit(visit(), { db, now: () => NOW });
  const before = structuredClone(db.records.get(id));
  await syncOnce({ api: apiFor(server), db, now: () => NOW });
  assert.deepEqual(db.records.get(id), before);
});

test('the api reports server_time so the phone can correct its clock offset', async () => {
  const server = fakeServer({ serverTime: 42 });
  /** @type {number[]} */
  const seen = [];
  const api = createApi({ fetch: server.fetch, onServerTime: (t) => seen.push(t) });
  await api.me();
  assert.deepEqual(seen, [42]);
});

test('an error body becomes an ApiError with the stable code', async () => {
  const server = fakeServer();
  server.failures.push(() => server.json(400, { error: { code: 'invalid_code', message: 'unknown code', message_zh: '登记码无效' } }));
  await assert.rejects(createApi({ fetch: server.fetch }).enrollStart('AAAA-BBBB'), {
    name: 'ApiError',
    code: 'invalid_code',
    status: 400,
    messageZh: '登记码无效',
  });
});

test('the syncer runs one round at a time; asking meanwhile queues one more round', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  /** @type {boolean[]} */
  const running = [];
  const syncer = createSyncer({ api: apiFor(server), db, onChange: (s) => { running.push(s.running); } });
  const first = syncer.run();
  await createVisit(visit(), { db, now: () => NOW }); // saved while the first round runs
  const [second, third] = [syncer.run(), syncer.run()];
  assert.notEqual(first, second);
  assert.equal(second, third, 'every ask during a round shares the one queued round');
  await second;
  assert.deepEqual(running, [true, false, true, false]);
  assert.equal(db.outbox.size, 0, 'the queued round pushed what was saved after the first round began');
  assert.equal(db.meta.get('lastSync').ok, true);
  assert.equal(syncer.running, false);

  server.failures.push(() => new TypeError('offline'));
  assert.equal(await syncer.run(), null);
  assert.deepEqual({ ...db.meta.get('lastSync'), at: 0, message: '' }, { at: 0, ok: false, code: 'network', message: '' });
});
