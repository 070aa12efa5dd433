// The first sync of a device (docs/sync-protocol.md §5.1, §8.1): households first, then a snapshot of the
// records — open work, then history — then the ops after it; progress kept with every page, so a round
// cut off midway goes on where it stopped; and a device whose grids grew starts both listings again.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApi } from '../../pwa/js/api.js';
import { editVisit } from '../../pwa/js/outbox.js';
import { HOUSEHOLD_LIMIT, SNAPSHOT_LIMIT, syncOnce } from '../../pwa/js/sync-client.js';
import { enrolledDb, fakeServer } from './pwa-fakes.mjs';

const NOW = 1763712000000;

/** @param {number} n @param {string} date @param {string} [household] */
const visitOp = (n, date, household = 'hh-1') => ({
  id: `019aa5e2-3c41-7a10-8d2e-${String(n).padStart(12, '0')}`,
  record: `019aa5e2-3c40-7f00-9a11-${String(n).padStart(12, '0')}`,
  type: 'visit',
  household,
  clock: `00${NOW + n}-00000`,
  replica: 'otherphone',
  kind: 'set',
  fields: { date, notes: `记录${n}` },
  author: 9,
});

/** A server with `old` visits before November 2026 and `recent` ones after (the fake's open work). */
function serverWith({ old = 0, recent = 0 } = {}) {
  const server = fakeServer();
  for (let n = 1; n <= old; n++) server.store(visitOp(n, '2026-03-01'));
  for (let n = old + 1; n <= old + recent; n++) server.store(visitOp(n, '2026-11-20'));
  return server;
}

const pulls = (/** @type {any} */ server) => server.requests.filter((/** @type {any} */ r) => r.path.startsWith('/api/sync/pull'));

test('households first, then the open work, then the history, then the ops after the snapshot', async () => {
  const db = enrolledDb();
  const server = serverWith({ old: 3, recent: 2 });
  const saved = [];
  const original = db.saveRemoteOps.bind(db);
  db.saveRemoteOps = async (/** @type {any} */ page) => {
    saved.push({ phase: page.meta?.snapshot?.phase, ids: page.states.map((/** @type {any} */ s) => s.id) });
    return original(page);
  };

  const result = await syncOnce({ api: createApi({ fetch: server.fetch }), db, now: () => NOW });

  const paths = server.requests.map((r) => r.path.split('?')[0]);
  assert.ok(paths.indexOf('/api/households') < paths.indexOf('/api/sync/pull'), 'households before records');
  assert.equal(server.requests.find((r) => r.path.startsWith('/api/households'))?.path, `/api/households?limit=${HOUSEHOLD_LIMIT}`);
  assert.equal(pulls(server)[0].path, `/api/sync/pull?limit=${SNAPSHOT_LIMIT}&snapshot=true`);
  // The first page is the open work and says the history comes next: from then on the app is usable.
  assert.deepEqual(saved.map((page) => page.phase), ['history', 'history', 'done']);
  assert.deepEqual(saved[0].ids.sort(), [visitOp(4, '').record, visitOp(5, '').record].sort());
  assert.equal(saved[1].ids.length, 3);
  assert.equal(result.pulled, 0, 'no op came after the snapshot');
  assert.equal(db.records.size, 5);
  for (const [id, state] of server.states) assert.deepEqual(db.records.get(id), state);
  assert.deepEqual(db.meta.get('snapshot'), { phase: 'done', received: 5, total: 5, named: true });
  assert.equal(db.meta.get('clock').wall, NOW + 5, 'the clock moved past every stamp in the snapshot');
  assert.equal(db.meta.get('authors')[9], '成员9', 'names are asked for after a snapshot');
  assert.deepEqual(db.meta.get('recordGrids'), [3]);
  assert.equal(db.households.get('hh-1').head, '王秀英');

  server.store(visitOp(6, '2026-11-21'));
  assert.equal((await syncOnce({ api: createApi({ fetch: server.fetch }), db, now: () => NOW })).pulled, 1);
  assert.ok(!pulls(server).at(-1).path.includes('snapshot'), 'later rounds go on with ops');
});

test('a first sync cut off midway goes on from the last page it stored', async () => {
  const db = enrolledDb();
  const server = serverWith({ old: 2, recent: 1 });
  let asked = 0;
  /** @type {typeof fetch} */
  const flaky = (input, init) => {
    if (String(input).startsWith('/api/sync/pull') && ++asked === 2) return Promise.reject(new TypeError('Failed to fetch'));
    return server.fetch(input, init);
  };
  const api = createApi({ fetch: flaky });
  await assert.rejects(syncOnce({ api, db, now: () => NOW }), { name: 'NetworkError' });
  assert.equal(db.meta.get('snapshot').phase, 'history', 'the open work is in: the app can be used');
  assert.equal(db.records.size, 1);

  await syncOnce({ api, db, now: () => NOW });
  const resumed = pulls(server).at(-2);
  assert.ok(resumed.path.includes('after=s%3A1') && !resumed.path.includes('snapshot='), resumed.path);
  assert.equal(db.records.size, 3);
  assert.equal(db.meta.get('snapshot').phase, 'done');
});

test('an unsent edit made before the snapshot arrives is merged with it, not replaced', async () => {
  const db = enrolledDb();
  const server = fakeServer({ reject: () => ({ code: 'not_created_yet', message: 'later' }) }); // stays unsent
  server.store(visitOp(1, '2026-11-20'));
  const record = visitOp(1, '').record;
  await editVisit({ id: record, household: 'hh-1' }, { request: '本机的诉求' }, { db, now: () => NOW });

  await syncOnce({ api: createApi({ fetch: server.fetch }), db, now: () => NOW });

  const state = db.records.get(record);
  assert.equal(state.fields.notes.value, '记录1', 'the server\'s fields');
  assert.equal(state.fields.request.value, '本机的诉求', 'and the unsent one');
  assert.equal(db.outbox.size, 1);
  assert.deepEqual(db.bases.get(record), server.states.get(record), 'the base is what the server has');
});

test('grids that grew: the whole household list and a new snapshot', async () => {
  const db = enrolledDb();
  const server = serverWith({ recent: 1 });
  const api = createApi({ fetch: server.fetch });
  await syncOnce({ api, db, now: () => NOW });
  const before = server.requests.length;

  server.households.push({ id: 'hh-2', grid: { id: 4, name: '第2网格' }, address: '2号楼', head: '李', tags: [] });
  server.scope.grids = [3, 4];
  server.store(visitOp(7, '2026-03-01', 'hh-2')); // stored before… as far as this phone's cursor knows
  await syncOnce({ api, db, now: () => NOW });

  const later = server.requests.slice(before).map((r) => r.path);
  assert.ok(later.some((p) => p.startsWith('/api/sync/pull') && p.includes('snapshot=true')), later.join('\n'));
  assert.deepEqual(db.meta.get('recordGrids'), [3, 4]);
  assert.deepEqual(db.meta.get('householdGrids'), [3, 4]);
  assert.ok(db.households.has('hh-2'));
  assert.ok(db.records.has(visitOp(7, '').record));
});
