// The sync round and the session (docs/sync-protocol.md §2.1, §5, §7): only this member's session
// syncs, state-changing calls carry the CSRF token, and pull's scope and drop remove what the member may
// no longer see — never an op that has not been pushed.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApi } from '../../pwa/js/api.js';
import { createVisit } from '../../pwa/js/outbox.js';
import { syncOnce } from '../../pwa/js/sync-client.js';
import { enrolledDb, fakeServer } from './pwa-fakes.mjs';

const NOW = 1763712000000;

/** @param {Partial<{household: string, notes: string}>} overrides */
const visit = (overrides = {}) => ({ household: 'hh-1', date: '2026-11-21', items: [], notes: '走访', request: null, ...overrides });

/** @param {string} record @param {string} household @param {number} n */
const remoteOp = (record, household, n) => ({
  id: `019aa5e2-3c41-7a10-8d2e-${String(n).padStart(12, '0')}`,
  record,
  type: 'visit',
  household,
  clock: `00${NOW + n}-00000`,
  replica: 'otherphone',
  kind: 'set',
  fields: { date: '2026-11-20', notes: `记录${n}` },
  author: 9,
});

test("a round with a colleague's session on the cookie pushes and pulls nothing", async () => {
  const db = enrolledDb({ deviceId: 'mine000000000001' });
  const server = fakeServer({ loggedIn: 'colleague0000001' });
  server.store(remoteOp('019aa5e2-3c40-7f00-9a11-000000000001', 'hh-1', 1));
  await createVisit(visit(), { db, now: () => NOW });
  const api = createApi({ fetch: server.fetch });
  await assert.rejects(syncOnce({ api, db, deviceId: 'mine000000000001' }), { code: 'unauthenticated' });
  assert.deepEqual(server.requests.map((r) => r.path), ['/api/me']);
  assert.equal(db.outbox.size, 1);
  assert.equal(db.records.size, 1, 'nothing of the colleague arrived');
});

test('push carries the CSRF token from /api/me; without it the server says csrf_failed', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  await createVisit(visit(), { db, now: () => NOW });
  await syncOnce({ api: createApi({ fetch: server.fetch }), db, deviceId: 'dev0001' });
  const push = server.requests.find((r) => r.path === '/api/sync/push');
  assert.equal(push?.headers['X-CSRF-Token'], server.session?.csrf);
  await assert.rejects(createApi({ fetch: server.fetch }).push([]), { code: 'csrf_failed', status: 403 });
});

test('records of households outside my grids are dropped', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  const mine = '019aa5e2-3c40-7f00-9a11-000000000001';
  const gone = '019aa5e2-3c40-7f00-9a11-000000000002';
  server.store(remoteOp(mine, 'hh-1', 1));
  server.store(remoteOp(gone, 'hh-far', 2));
  await syncOnce({ api: createApi({ fetch: server.fetch }), db, now: () => NOW });
  assert.equal(db.records.has(mine), true);
  assert.equal(db.records.has(gone), false, 'hh-far is not among my households');
});

test('a member moved to another grid loses the old grid\'s households and records at the next sync', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  server.households.push({ id: 'hh-2', grid: { id: 4, name: '第2网格' }, address: '2号楼', head: '李', tags: [] });
  server.scope.grids = [3, 4];
  const old = '019aa5e2-3c40-7f00-9a11-000000000002';
  server.store(remoteOp(old, 'hh-2', 1));
  const api = createApi({ fetch: server.fetch });
  await syncOnce({ api, db, now: () => NOW });
  assert.equal(db.records.has(old), true);

  server.households.splice(1, 1);
  server.scope.grids = [3];
  await syncOnce({ api, db, now: () => NOW });
  assert.deepEqual([...db.households.keys()], ['hh-1']);
  assert.equal(db.records.has(old), false);
});

test('households outside pull scope.grids are not kept even if listed', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  server.scope.grids = [4];
  await syncOnce({ api: createApi({ fetch: server.fetch }), db, now: () => NOW });
  assert.equal(db.households.size, 0);
});

test('a record with a pending op survives the scope prune and the drop list', async () => {
  const db = enrolledDb();
  const server = fakeServer({ reject: () => ({ code: 'out_of_scope', message: 'no' }) });
  const kept = await createVisit(visit({ household: 'hh-far' }), { db, now: () => NOW });
  server.drop.push(kept);
  await syncOnce({ api: createApi({ fetch: server.fetch }), db, now: () => NOW });
  assert.equal([...db.outbox.values()][0].status, 'rejected');
  assert.equal(db.records.has(kept), true, 'the member still sees it, marked rejected, and decides');
});

test('pull drop deletes restricted records the member may no longer read', async () => {
  const db = enrolledDb();
  const server = fakeServer();
  const mediation = '019aa5e2-3c40-7f00-9a11-000000000009';
  server.store({ ...remoteOp(mediation, 'hh-1', 1), type: 'mediation', fields: { category: 'family', mediators: [7] } });
  const api = createApi({ fetch: server.fetch });
  await syncOnce({ api, db, now: () => NOW });
  assert.equal(db.records.has(mediation), true);
  server.drop.push(mediation);
  await syncOnce({ api, db, now: () => NOW });
  assert.equal(db.records.has(mediation), false);
});
