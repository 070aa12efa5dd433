// The phone's storage layer (pwa/js/db/): one member's records and households as sealed chunks, read back
// once per unlock, with the real member-data code, Node's WebCrypto and an in-memory IndexedDB
// (fake-idb.mjs). The browser runs the same code on Chromium's IndexedDB (e2e/test_db.py).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fakeIndexedDB } from './fake-idb.mjs';

const idb = fakeIndexedDB().install();
const { ChunkLog } = await import('../../pwa/js/db/chunks.js');
const { memberData, CHUNK_ENTRIES } = await import('../../pwa/js/db/member-data.js');
const { sealEntry, sealRow } = await import('../../pwa/js/db/rows.js');
const { open, transact, done, memberRange, chunkRange } = await import('../../pwa/js/db/schema.js');
const { newDataSecret, openKeys, unseal } = await import('../../pwa/js/vault.js');
const { applyOp } = await import('../../pwa/js/sync/merge.js');
const { stateFromCompact } = await import('../../pwa/js/sync/storage.js');

const NOW = 1763712000000;
let nextMember = 100;

/** A member with fresh keys; `again()` is the same member unlocked anew (say, in another tab). */
async function member() {
  const m = nextMember++;
  const keys = await openKeys(newDataSecret());
  return { m, keys, data: memberData(m, keys), again: () => memberData(m, keys) };
}

/** @param {number} n */
const uuid = (n) => `019aa5e2-3c40-7f00-9a11-${String(n).padStart(12, '0')}`;

/** @param {string} record @param {number} n @param {Record<string, any>} fields @param {number} [author] */
function op(record, n, fields, author = 9) {
  return {
    id: `019aa5e2-3c41-7a10-8d2e-${String(n).padStart(12, '0')}`,
    record, type: 'visit', household: 'hh-1', clock: `00${NOW + n}-00000`, replica: 'otherphone', kind: 'set', fields, author,
  };
}

/** @param {any} data @param {string} record @param {number} n @param {Record<string, any>} fields */
async function pulled(data, record, n, fields) {
  const o = op(record, n, fields);
  const before = (await data.getRecord(record)) ?? null;
  await data.saveRemoteOps({ ops: [o], states: [applyOp(before, o)], clock: { wall: NOW + n, counter: 0 }, cursor: `c${n}` });
}

/** @param {any} data @param {string} record @param {number} n @param {Record<string, any>} fields @param {number} m */
async function local(data, record, n, fields, m) {
  const o = { ...op(record, n, fields, m), replica: 'myphone' };
  const { author, ...wireOp } = o;
  const before = (await data.getRecord(record)) ?? null;
  return data.saveLocalOp({ op: o, wireOp, state: applyOp(before, o), clock: { wall: NOW + n, counter: 0 }, createdAt: NOW + n });
}

/** @param {number} m @param {string} c */
const chunkRows = (m, c) => transact(['chunks'], 'readonly', (tx) => done(tx.objectStore('chunks').getAll(chunkRange(m, c))));

test('records are stored in their storage form, sealed many to a row, and read back by a new unlock', async () => {
  const { m, keys, data, again } = await member();
  for (let i = 1; i <= 30; i++) await pulled(data, uuid(i), i, { date: '2026-11-21', notes: `老人身体尚好 ${i}` });
  await pulled(data, uuid(1), 99, { notes: '改过' });

  const reopened = again();
  assert.equal((await reopened.listRecords()).length, 30);
  assert.equal((await reopened.getRecord(uuid(1))).fields.notes.value, '改过');
  assert.equal((await reopened.getRecord(uuid(1))).fields.notes.overwritten[0].value, '老人身体尚好 1');
  assert.equal(await reopened.getMeta('cursor'), 'c99');

  const rows = await chunkRows(m, 'r');
  assert.ok(rows.length < 31, `${rows.length} rows for 31 writes: small chunks are merged`);
  const raw = JSON.stringify(rows.map((row) => [...new Uint8Array(row.data)]));
  assert.doesNotMatch(JSON.stringify(rows), /老人|hh-1|019aa5e2/, 'nothing readable without the keys');
  assert.ok(raw.length > 0);
  const entries = (await Promise.all(rows.map((row) => unseal(keys, `${m}|chunks|r|${row.n}`, row)))).flat();
  const latest = entries.filter(([id]) => id === uuid(1)).at(-1);
  assert.equal(latest[1].v, 1, 'the storage form (sync/storage.js)');
  assert.equal(stateFromCompact(latest[1]).fields.notes.value, '改过');
});

test('a chunk cannot be read as another member, collection or place (additional data)', async () => {
  const { m, keys, data } = await member();
  await pulled(data, uuid(1), 1, { date: '2026-11-21' });
  const [row] = await chunkRows(m, 'r');
  await assert.rejects(unseal(keys, `${m}|chunks|h|${row.n}`, row));
  await assert.rejects(unseal(keys, `${m}|chunks|r|${row.n + 1}`, row));
  await assert.rejects(unseal(keys, `${m + 1}|chunks|r|${row.n}`, row));
});

test('a local op, its record and its outbox entry are written in one transaction, or none of them', async () => {
  const { m, data } = await member();
  await local(data, uuid(1), 1, { date: '2026-11-21', notes: '一' }, m);
  assert.equal((await data.listOutbox()).length, 1);
  assert.equal((await chunkRows(m, 'r')).length, 1);

  // The outbox entry cannot be added (its key is taken): the transaction fails, and nothing of it stays.
  const [taken] = await transact(['outbox'], 'readonly', (tx) => done(tx.objectStore('outbox').getAllKeys()));
  const outbox = idb.databases.get('lianhu').stores.get('outbox');
  const next = outbox.next;
  outbox.next = taken;
  await assert.rejects(local(data, uuid(2), 2, { date: '2026-11-22', notes: '二' }, m), { name: 'ConstraintError' });
  outbox.next = next;
  assert.equal((await data.listOutbox()).length, 1);
  assert.equal(await data.getRecord(uuid(2)), undefined, 'not in memory either');
  assert.equal((await chunkRows(m, 'r')).length, 1);
  assert.deepEqual((await data.getMeta('clock')).wall, NOW + 1, 'the clock of the failed save is not kept');
});

test('a discarded op leaves the record as the server has it plus what is still to push', async () => {
  const { m, data, again } = await member();
  const id = uuid(1);
  await pulled(data, id, 1, { date: '2026-11-21', notes: '服务器的' });
  await local(data, id, 2, { notes: '被拒绝的' }, m);
  await local(data, id, 3, { items: ['care'] }, m);
  await pulled(data, id, 4, { request: '同事的' }); // a colleague's edit arrives meanwhile
  const [rejected] = await data.listOutbox();

  await again().discardLocalOp({ seq: rejected.seq, recordId: id }); // another unlock: the base was stored
  const state = await data.getRecord(id);
  assert.equal(state.fields.notes.value, '服务器的');
  assert.deepEqual(state.fields.items.value, ['care']);
  assert.equal(state.fields.request.value, '同事的');
  assert.equal((await data.listOutbox()).length, 1);
});

test('a new record whose only op is discarded disappears', async () => {
  const { m, data } = await member();
  await local(data, uuid(1), 1, { date: '2026-11-21' }, m);
  const [entry] = await data.listOutbox();
  await data.discardLocalOp({ seq: entry.seq, recordId: uuid(1) });
  assert.equal(await data.getRecord(uuid(1)), undefined);
  assert.deepEqual(await data.listRecords(), []);
});

test('dropping keeps records with an op still to push; drops survive a new unlock', async () => {
  const { m, data, again } = await member();
  await pulled(data, uuid(1), 1, { date: '2026-11-21' });
  await pulled(data, uuid(2), 2, { date: '2026-11-21' });
  await local(data, uuid(2), 3, { notes: '未推送' }, m);
  await pulled(data, uuid(3), 4, { date: '2026-11-21' });
  assert.deepEqual(await data.dropRecords([uuid(1), uuid(2), uuid(9)]), [uuid(1)]);
  assert.deepEqual((await again().listRecords()).map((s) => s.id).sort(), [uuid(2), uuid(3)]);
});

test('households: a page is kept for my grids, and those of a grid I left go', async () => {
  const { data, again } = await member();
  const row = (/** @type {string} */ id, /** @type {number} */ grid) => ({ id, grid: { id: grid, name: `第${grid}网格` }, address: id, head: '王' });
  await data.saveHouseholds({ households: [row('a', 3), row('b', 4), row('c', 5)], grids: [3, 4], meta: { householdsCursor: 'h1' } });
  await data.saveHouseholds({ households: [row('a', 3)], grids: [3], meta: { householdsCursor: 'h2' } });
  assert.deepEqual((await again().listHouseholds()).map((h) => h.id), ['a']);
  assert.equal(await data.getMeta('householdsCursor'), 'h2');
});

test('another tab of the same member writes: the next read sees it', async () => {
  const { data, again } = await member();
  await pulled(data, uuid(1), 1, { date: '2026-11-21' });
  assert.equal((await data.listRecords()).length, 1);
  const tab = again();
  await pulled(tab, uuid(2), 2, { date: '2026-11-22' });
  assert.deepEqual((await data.listRecords()).map((s) => s.id).sort(), [uuid(1), uuid(2)]);
  await pulled(data, uuid(3), 3, { date: '2026-11-23' }); // and this tab's next write does not overwrite it
  assert.equal((await tab.listRecords()).length, 3);
});

test('after close() nothing can be read or written, and the data stays', async () => {
  const { data, again } = await member();
  await pulled(data, uuid(1), 1, { date: '2026-11-21' });
  data.close();
  await assert.rejects(data.listRecords(), { name: 'LockedError' });
  await assert.rejects(pulled(data, uuid(2), 2, { date: '2026-11-21' }), { name: 'LockedError' });
  assert.equal((await again().listRecords()).length, 1);
});

test('version 2 rows move into chunks at the first unlock, and a pending record keeps its base', async () => {
  const { m, keys } = await member();
  const v = { m, keys };
  const id = uuid(1);
  const theirs = op(id, 1, { date: '2026-11-21', notes: '服务器的' });
  const mine = { ...op(id, 2, { notes: '我的修改' }, m), replica: 'myphone' };
  const { author, ...wire } = mine;
  const state = applyOp(applyOp(null, theirs), mine);
  const rows = {
    records: [await sealRow(v, 'records', id, state)],
    households: [await sealRow(v, 'households', 'hh-1', { id: 'hh-1', grid: { id: 3 }, address: '1号楼' })],
    ops: await Promise.all([theirs, mine].map(async (o) => sealRow(v, 'ops', o.id, o, { r: 'x' }))),
  };
  const entry = await sealEntry(v, { op: wire, status: 'rejected', code: 'invalid_value', createdAt: NOW });
  await open();
  await transact(['records', 'households', 'ops', 'outbox'], 'readwrite', (tx) => {
    for (const [store, list] of Object.entries(rows)) for (const row of list) tx.objectStore(store).put(row);
    tx.objectStore('outbox').add(entry);
  });

  const data = memberData(m, keys);
  assert.equal((await data.getRecord(id)).fields.notes.value, '我的修改');
  assert.deepEqual((await data.listHouseholds()).map((h) => h.id), ['hh-1']);
  const left = await transact(['records', 'households', 'ops'], 'readonly', (tx) =>
    Promise.all(['records', 'households', 'ops'].map((s) => done(tx.objectStore(s).count(memberRange(m))))),
  );
  assert.deepEqual(left, [0, 0, 0], 'the old rows are gone');
  const [pending] = await data.listOutbox();
  await data.discardLocalOp({ seq: pending.seq, recordId: id });
  assert.equal((await data.getRecord(id)).fields.notes.value, '服务器的', 'rebuilt from the moved base');
});

test('merging chunks keeps the latest entries, and a removal only while an older chunk holds the id', () => {
  const log = new ChunkLog();
  log.apply(1, [['a', 'a1'], ['b', 'b1'], ['c', 'c1']]);
  log.apply(2, [['a', 'a2']]);
  log.apply(3, [['b', null]]);
  log.apply(4, [['d', 'd4']]);
  assert.deepEqual(log.emptiedBy(['c']), [1], 'chunk 1 holds nothing current but c: writing c again empties it');
  assert.deepEqual(log.emptiedBy(['x', 'd']), [4]);
  // Chunks 2-4 are small; b's removal must be carried, for chunk 1 (not merged) still holds an old b.
  const plan = log.compaction({ small: 2, most: 0.3, atLeast: 2 });
  assert.deepEqual(plan, { merged: [2, 3, 4], entries: [['a', 'a2'], ['b', null], ['d', 'd4']] });
  log.apply(5, plan?.entries ?? []);
  log.forget(plan?.merged ?? []);
  assert.deepEqual(new Set(log.list()), new Set(['c1', 'a2', 'd4']));
  // chunk 1 goes: the removal of b no longer hides anything and is not carried any further
  log.apply(6, [['c', 'c6']]);
  log.forget([1]);
  assert.deepEqual(log.compaction({ small: 10, most: 0.5, atLeast: 2 })?.entries, [['a', 'a2'], ['d', 'd4'], ['c', 'c6']]);
});

test('many small writes are merged into a few chunks, and reading back gives the same records', async () => {
  const { m, data, again } = await member();
  for (let i = 1; i <= 40; i++) await local(data, uuid(i % 7), i, { date: '2026-11-21', notes: `第${i}次` }, m);
  const rows = await chunkRows(m, 'r');
  assert.ok(rows.length <= 9, `${rows.length} chunks`);
  const before = await data.listRecords();
  const after = await again().listRecords();
  assert.deepEqual(new Map(after.map((s) => [s.id, s])), new Map(before.map((s) => [s.id, s])));
  assert.ok(CHUNK_ENTRIES >= 1000);
});
