// Today's curtain round (pwa/js/curtain.js) on a fixed clock in Shanghai: which households, in what order,
// in what state, overdue past each grid's deadline; and the writes the one tap and an escalation step make.

process.env.TZ = 'Asia/Shanghai'; // the phone's local day and deadline are what the round is about

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { addEscalation, closeSeen, curtainDue, curtainRound, roundCounts } from '../../pwa/js/curtain.js';
import { derivedRecordId } from '../../pwa/js/record-types.js';
import { recordView } from '../../pwa/js/record-view.js';
import { applyOp } from '../../pwa/js/sync/merge.js';
import { enrolledDb } from './pwa-fakes.mjs';

const declaration = JSON.parse(readFileSync(new URL('../../server/domain/record-types.json', import.meta.url), 'utf8'));
const at = (/** @type {string} */ local) => new Date(`${local}+08:00`).getTime();
const ME = 7;

/** @param {string} id @param {Partial<any>} [overrides] */
const household = (id, overrides = {}) => ({ id, address: `幸福里${id}`, head: '王大爷', grid: { id: 3, name: '第1网格' }, curtain_round: true, covered_by: [], ...overrides });

/** A check as a phone holds it: a set op (and appended steps) applied to nothing. */
function check(/** @type {string} */ hh, /** @type {string} */ date, /** @type {any} */ fields = {}, /** @type {any[]} */ steps = []) {
  const record = `019aa5e2-0000-7000-8000-${hh.replace(/\D/g, '').padStart(12, '0')}`;
  let state = applyOp(null, { id: `019aa5e2-0001-7000-8000-${hh.replace(/\D/g, '').padStart(12, '0')}`, record, type: 'curtain_check', household: hh, clock: '001764460800000-00000', replica: 'r', kind: 'set', fields: { date, ...fields }, author: 9 });
  steps.forEach((value, i) => {
    state = applyOp(state, { id: `019aa5e2-0002-7000-8000-00000000000${i}`, record, type: 'curtain_check', household: hh, clock: `00176446090000${i}-00000`, replica: 'r', kind: 'append', field: 'escalation', value, author: 9 });
  });
  return recordView(state);
}

const households = [
  household('1', { covered_by: [ME] }),
  household('2'),
  household('3', { covered_by: [ME] }),
  household('4', { grid: { id: 4, name: '第2网格' } }),
  household('5', { curtain_round: false, covered_by: [ME] }),
  household('6', { covered_by: [ME, 8] }),
];
const checks = [
  check('1', '2025-11-30', { outcome: 'seen', checked_at: '08:10' }),
  check('3', '2025-11-30', {}, [{ step: 'phone', time: '08:40', result: 'no_answer' }]),
  check('6', '2025-11-29', { outcome: 'seen' }), // yesterday's does not count today
];
const rules = { curtain_deadlines: { 3: '09:30', 4: '08:30' } };

test('before any deadline: households I cover first, open before closed, then the rest; only those on the round', () => {
  const round = curtainRound({ households, checks, me: ME, rules, now: at('2025-11-30T08:15') });
  assert.deepEqual(round.map((item) => [item.household.id, item.state, item.overdue, item.mine]), [
    ['3', 'escalating', false, true],
    ['6', 'open', false, true],
    ['1', 'closed', false, true],
    ['2', 'open', false, false],
    ['4', 'open', false, false],
  ]);
  assert.equal(round[0].nextStep, 'knock', 'the next rung after 电话联系');
  assert.equal(round[2].nextStep, null);
  assert.deepEqual(round.map((item) => item.deadline), ['09:30', '09:30', '09:30', '09:30', '08:30']);
  assert.deepEqual(roundCounts(round), { total: 5, closed: 1, overdue: 0 });
});

test('past a grid\'s deadline an unclosed check is overdue and comes first, whoever covers it', () => {
  const early = curtainRound({ households, checks, me: ME, rules, now: at('2025-11-30T08:31') });
  assert.deepEqual(early.filter((item) => item.overdue).map((item) => item.household.id), ['4'], "grid 4's deadline is 08:30");
  assert.equal(early[0].household.id, '4');
  const late = curtainRound({ households, checks, me: ME, rules, now: at('2025-11-30T09:31') });
  assert.deepEqual(late.map((item) => [item.household.id, item.overdue]), [
    ['3', true], ['6', true], ['2', true], ['4', true], ['1', false],
  ]);
  assert.deepEqual(curtainDue(late).map((item) => item.household.id), ['3', '6', '2', '4']);
  assert.deepEqual(roundCounts(late), { total: 5, closed: 1, overdue: 4 });
});

test('without the grid\'s rules yet, the server\'s default deadline 09:30 applies', () => {
  const round = curtainRound({ households: [household('2')], checks: [], me: ME, rules: null, now: at('2025-11-30T09:29') });
  assert.deepEqual([round[0].deadline, round[0].overdue], ['09:30', false]);
  assert.equal(curtainRound({ households: [household('2')], checks: [], me: ME, rules: null, now: at('2025-11-30T09:31') })[0].overdue, true);
});

test('the one tap is one set op creating the day\'s check under its derived id', async () => {
  const db = enrolledDb();
  const now = () => at('2025-11-30T08:05');
  const id = await closeSeen('hh-1', { declaration, db, now });
  assert.equal(id, await derivedRecordId('curtain_check', ['hh-1', '2025-11-30']));
  const ops = [...db.outbox.values()].map((entry) => entry.op);
  assert.deepEqual(ops.map((op) => [op.kind, op.record, op.fields]), [['set', id, { date: '2025-11-30', outcome: 'seen', checked_at: '08:05' }]]);
});

test('a step on a check that exists sends only the append; closing it after sends only outcome and time', async () => {
  const db = enrolledDb();
  const now = () => at('2025-11-30T09:45');
  const step = { step: 'phone', time: '09:44', result: 'no_answer' };
  const id = await addEscalation('hh-1', step, { declaration, db, now });
  await addEscalation('hh-1', { step: 'knock', time: '09:50', result: 'reached', notes: '老人在睡觉' }, { declaration, db, now });
  await closeSeen('hh-1', { declaration, db, now });
  const ops = [...db.outbox.values()].map((entry) => entry.op);
  assert.deepEqual(ops.map((op) => [op.kind, op.record]), [['set', id], ['append', id], ['append', id], ['set', id]]);
  assert.deepEqual(ops[0].fields, { date: '2025-11-30' });
  assert.deepEqual(ops[2].value, { step: 'knock', time: '09:50', result: 'reached', notes: '老人在睡觉' });
  assert.deepEqual(ops[3].fields, { outcome: 'seen', checked_at: '09:45' });
  const [item] = curtainRound({ households: [household('hh-1')], checks: [recordView(db.records.get(id))], me: ME, rules, now: now() });
  assert.deepEqual([item.state, item.overdue], ['closed', false]);
});
