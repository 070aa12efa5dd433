// The record layer (pwa/js/records.js, record-view.js): any declared type is checked against the same
// declaration the server validates with, created with one set op (its derived id where declared), edited
// with only what changed, appended to with the role checked; and a restricted record never shows to a member
// who may not read it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { setLang } from '../../pwa/js/i18n/index.js';
import { derivedRecordId } from '../../pwa/js/record-types.js';
import { mayRead, recordView, sortRecords, visibleRecords } from '../../pwa/js/record-view.js';
import { addEntry, changedValues, entryProblems, fieldProblems, RecordCheckError, saveRecord } from '../../pwa/js/records.js';
import { applyOp } from '../../pwa/js/sync/merge.js';
import { enrolledDb } from './pwa-fakes.mjs';

const declaration = JSON.parse(readFileSync(new URL('../../server/domain/record-types.json', import.meta.url), 'utf8'));
const NOW = 1_764_460_800_000; // 2025-11-30 08:00 in Shanghai
setLang('zh-CN');

/** @param {ReturnType<typeof enrolledDb>} db */
const outboxOps = (db) => [...db.outbox.values()].map((entry) => entry.op);

test('field values are checked with the declaration, in words a member reads', () => {
  const request = declaration.types.request;
  assert.deepEqual(fieldProblems(request, { category: 'repair', description: '厕所漏水' }, { creating: true }), []);
  assert.deepEqual(
    fieldProblems(request, { category: 'repair', description: '漏'.repeat(2001) }).map((p) => p.message),
    ['诉求内容最多 2000 字'],
  );
  assert.deepEqual(
    fieldProblems(request, { category: 'repair' }, { creating: true }).map((p) => [p.field, p.message]),
    [['description', '请填写诉求内容']],
  );
  assert.deepEqual(fieldProblems(request, { category: 'plumbing' }).map((p) => p.message), ['类别填写的内容不符合要求']);
  assert.deepEqual(fieldProblems(request, { colour: 'red' }).map((p) => p.field), ['colour']);
  assert.deepEqual(fieldProblems(declaration.types.mediation, { mediators: [] }).map((p) => p.message), ['请填写调解人员']);
});

test('a workflow step is refused on the phone for a role the declaration does not name, and must carry its keys', () => {
  const request = declaration.types.request;
  const messages = (/** @type {any} */ value, /** @type {string} */ role) => entryProblems(declaration, request, 'steps', value, role).map((p) => p.message);
  assert.deepEqual(messages({ step: 'assign', to: '物业' }, 'member'), ['您的身份不能记录“转办”']);
  assert.deepEqual(messages({ step: 'assign' }, 'grid_leader'), ['请填写转办部门']);
  assert.deepEqual(messages({ step: 'assign', to_member: 12 }, 'grid_leader'), []);
  assert.deepEqual(messages({ step: 'reply' }, 'community'), ['请填写说明']);
  assert.deepEqual(messages({ step: 'return_visit' }, 'member'), ['请填写居民满意度']);
  assert.deepEqual(messages({ step: 'return_visit', satisfaction: 'happy' }, 'member'), ['居民满意度填写的内容不符合要求']);
  assert.deepEqual(messages({ step: 'return_visit', satisfaction: 'satisfied' }, 'member'), []);
  assert.deepEqual(entryProblems(declaration, declaration.types.curtain_check, 'escalation', { step: 'knock', time: '25:00', result: 'no_answer' }, 'member').map((p) => p.field), ['time']);
});

test('changedValues keeps only what changed: lists compare as sets, a never-written blank field is no change', () => {
  const before = { date: '2026-11-21', items: ['policy', 'safety'], notes: '老人身体尚好', request: null };
  assert.deepEqual(changedValues(before, { ...before, items: ['safety', 'policy'], not_home: null, co_visitors: [] }), {});
  assert.deepEqual(changedValues(before, { ...before, notes: '新说明' }), { notes: '新说明' });
  assert.deepEqual(changedValues(before, { ...before, items: ['care'], request: '修水管' }), { items: ['care'], request: '修水管' });
  assert.deepEqual(changedValues({ ...before, not_home: true }, { ...before, not_home: null }), { not_home: null });
  assert.deepEqual(changedValues(before, { ...before, co_visitors: [9] }), { co_visitors: [9] });
});

test('saveRecord creates with one set op, then edits with only the changed fields, and nothing when nothing changed', async () => {
  const db = enrolledDb();
  const fields = { category: 'repair', description: '卫生间漏水', urgency: 'normal', source: 'other' };
  const { id, made } = await saveRecord(declaration, { type: 'request', household: 'hh-1' }, fields, { db, now: () => NOW });
  assert.equal(made, true);
  assert.deepEqual(outboxOps(db).map((op) => [op.kind, op.fields]), [['set', fields]]);
  const again = await saveRecord(declaration, { type: 'request', household: 'hh-1', id }, { ...fields, urgency: 'urgent' }, { db, now: () => NOW + 1 });
  assert.deepEqual(again, { id, made: true });
  assert.deepEqual(outboxOps(db)[1].fields, { urgency: 'urgent' });
  assert.deepEqual(await saveRecord(declaration, { type: 'request', household: 'hh-1', id }, { ...fields, urgency: 'urgent' }, { db }), { id, made: false });
  assert.equal(db.outbox.size, 2);
});

test('nothing is written when a value breaks the declaration', async () => {
  const db = enrolledDb();
  await assert.rejects(
    saveRecord(declaration, { type: 'request', household: 'hh-1' }, { category: 'repair', description: '' }, { db }),
    (error) => error instanceof RecordCheckError && error.problems[0].field === 'description',
  );
  await assert.rejects(
    addEntry(declaration, { type: 'request', household: 'hh-1', id: 'x' }, 'steps', { step: 'reply', notes: '已修好' }, { role: 'member', db }),
    RecordCheckError,
  );
  assert.equal(db.outbox.size, 0);
});

test('a derived-id type gets the same id on every phone, and both phones\' entries merge into one record', async () => {
  const phoneA = enrolledDb({ memberId: 7, deviceId: 'deva' });
  const phoneB = enrolledDb({ memberId: 9, deviceId: 'devb' });
  const target = { type: 'curtain_check', household: 'hh-1' };
  const create = { date: '2025-11-30' };
  const a = await addEntry(declaration, target, 'escalation', { step: 'phone', time: '09:40', result: 'no_answer' }, { create, db: phoneA, now: () => NOW });
  const b = await addEntry(declaration, target, 'escalation', { step: 'knock', time: '09:41', result: 'no_answer' }, { create, db: phoneB, now: () => NOW });
  assert.equal(a, await derivedRecordId('curtain_check', ['hh-1', '2025-11-30']));
  assert.equal(a, b);
  for (const phone of [phoneA, phoneB]) assert.deepEqual(outboxOps(phone).map((op) => op.kind), ['set', 'append']);
  let merged = null;
  for (const op of [...outboxOps(phoneB), ...outboxOps(phoneA)]) merged = applyOp(merged, op);
  const view = recordView(merged);
  assert.equal(view.values.date, '2025-11-30');
  assert.deepEqual(view.logs.escalation.map((entry) => entry.value.step).sort(), ['knock', 'phone']);
});

test('a restricted record is visible only to its readers, its creator and coordinators; deleted ones never', () => {
  const op = (/** @type {string} */ id, /** @type {number} */ author, /** @type {any} */ fields, /** @type {string} */ clock) => ({
    id, record: `019aa5e2-0000-7000-8000-00000000000${id.at(-1)}`, type: fields.type, household: 'hh-1', clock, replica: 'r', kind: 'set', fields: fields.values, author,
  });
  const mediation = applyOp(null, op('019aa5e2-1111-7000-8000-000000000001', 7, { type: 'mediation', values: { category: 'neighbour', mediators: [7, 8] } }, '001764460800000-00000'));
  const visit = applyOp(null, op('019aa5e2-1111-7000-8000-000000000002', 9, { type: 'visit', values: { date: '2025-11-29' } }, '001764460900000-00000'));
  const gone = applyOp(
    applyOp(null, op('019aa5e2-1111-7000-8000-000000000003', 9, { type: 'visit', values: { date: '2025-11-30' } }, '001764460900000-00000')),
    { id: '019aa5e2-1111-7000-8000-000000000004', record: '019aa5e2-0000-7000-8000-000000000003', type: 'visit', household: 'hh-1', clock: '001764461000000-00000', replica: 'r', kind: 'delete', author: 9 },
  );
  const view = recordView(mediation);
  assert.equal(mayRead(declaration, view, { id: 8, role: 'member' }), true, 'a mediator');
  assert.equal(mayRead(declaration, view, { id: 7, role: 'member' }), true, 'the creator');
  assert.equal(mayRead(declaration, view, { id: 5, role: 'community' }), true, 'a coordinator');
  assert.equal(mayRead(declaration, view, { id: 9, role: 'grid_leader' }), false, 'a grid leader who is not a mediator');
  const ids = (/** @type {any} */ member) => visibleRecords(declaration, [mediation, visit, gone], member).map((v) => v.type);
  assert.deepEqual(ids({ id: 9, role: 'member' }), ['visit']);
  assert.deepEqual(ids({ id: 8, role: 'member' }), ['mediation', 'visit'], 'newest day first: the mediation was made on the 30th');
  assert.deepEqual(visibleRecords(declaration, [mediation, visit], { id: 8 }, { types: ['visit'] }).map((v) => v.type), ['visit']);
  assert.deepEqual(sortRecords([recordView(visit), view]).map((v) => v.type), ['mediation', 'visit']);
});
