// Resident requests (pwa/js/requests.js) on a fixed clock: the stage of the loop 收集 → 转办 → 答复 → 回访,
// who and when for each, the 1-2-3 limits as due / overdue, 办结, and which steps a role is offered; and
// mediation follow-ups due (pwa/js/mediation.js).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { followupsDue } from '../../pwa/js/mediation.js';
import { recordView } from '../../pwa/js/record-view.js';
import { availableSteps, raiseRequest, recordStep, requestsDue, requestState } from '../../pwa/js/requests.js';
import { applyOp } from '../../pwa/js/sync/merge.js';
import { enrolledDb } from './pwa-fakes.mjs';

const declaration = JSON.parse(readFileSync(new URL('../../server/domain/record-types.json', import.meta.url), 'utf8'));
const REQUEST = declaration.types.request;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const T0 = 1_764_460_800_000;
const clock = (/** @type {number} */ ms) => `${String(ms).padStart(15, '0')}-00000`;

/**
 * A request created at T0 by member 7, then the given steps, each [ms, author, value].
 * @param {[number, number, any][]} steps
 * @param {string} [record]
 */
function request(steps, record = '019aa5e2-0000-7000-8000-000000000001') {
  let state = applyOp(null, { id: '019aa5e2-0001-7000-8000-000000000000', record, type: 'request', household: 'hh-1', clock: clock(T0), replica: 'r', kind: 'set', fields: { category: 'repair', description: '卫生间漏水' }, author: 7 });
  steps.forEach(([ms, author, value], i) => {
    state = applyOp(state, { id: `019aa5e2-0002-7000-8000-00000000000${i}`, record, type: 'request', household: 'hh-1', clock: clock(ms), replica: 'r', kind: 'append', field: 'steps', value, author });
  });
  return recordView(state);
}

test('a new request counts as collected when created and is due to be assigned within a day', () => {
  const view = request([]);
  const fresh = requestState(REQUEST, view, T0 + HOUR);
  assert.equal(fresh.stage, 'collect');
  assert.deepEqual(fresh.due, { stage: 'assign', at: T0 + DAY, overdue: false });
  assert.deepEqual(fresh.stages.map((s) => [s.stage, s.at, s.by]), [['collect', T0, 7], ['assign', null, null], ['reply', null, null], ['return_visit', null, null]]);
  assert.deepEqual(requestState(REQUEST, view, T0 + DAY + 1).due, { stage: 'assign', at: T0 + DAY, overdue: true });
});

test('each stage\'s limit counts from the stage before it: 1 day to assign, 2 to reply, 3 to visit again', () => {
  const assigned = request([[T0 + 5 * HOUR, 12, { step: 'assign', to: '物业公司' }]]);
  const a = requestState(REQUEST, assigned, T0 + DAY);
  assert.equal(a.stage, 'assign');
  assert.deepEqual(a.due, { stage: 'reply', at: T0 + 5 * HOUR + 2 * DAY, overdue: false });
  assert.deepEqual(a.stages[1], { stage: 'assign', at: T0 + 5 * HOUR, by: 12, value: { step: 'assign', to: '物业公司' } });
  const replied = request([[T0 + 5 * HOUR, 12, { step: 'assign', to: '物业公司' }], [T0 + 2 * DAY, 12, { step: 'reply', notes: '已换水管' }]]);
  assert.deepEqual(requestState(REQUEST, replied, T0 + 6 * DAY).due, { stage: 'return_visit', at: T0 + 5 * DAY, overdue: true });
});

test('a satisfied return visit closes the loop; an unsatisfied one does not', () => {
  const done = [[T0 + HOUR, 12, { step: 'assign', to: '物业公司' }], [T0 + DAY, 12, { step: 'reply', notes: '已换水管' }]];
  const closed = requestState(REQUEST, request([...done, [T0 + 2 * DAY, 7, { step: 'return_visit', satisfaction: 'basically' }]]), T0 + 9 * DAY);
  assert.deepEqual([closed.stage, closed.closed, closed.due], ['return_visit', true, null]);
  const unhappy = requestState(REQUEST, request([...done, [T0 + 2 * DAY, 7, { step: 'return_visit', satisfaction: 'unsatisfied' }]]), T0 + 9 * DAY);
  assert.deepEqual([unhappy.stage, unhappy.closed], ['return_visit', false]);
});

test('the phone offers each role only the steps it may record, in the loop\'s order', () => {
  const steps = (/** @type {any} */ view, /** @type {string} */ role) => availableSteps(declaration, REQUEST, view, role);
  const fresh = request([]);
  assert.deepEqual(steps(fresh, 'member'), ['collect']);
  assert.deepEqual(steps(fresh, 'grid_leader'), ['collect', 'assign']);
  const assigned = request([[T0 + HOUR, 12, { step: 'assign', to: '物业公司' }]]);
  assert.deepEqual(steps(assigned, 'member'), []);
  assert.deepEqual(steps(assigned, 'community'), ['assign', 'reply']);
  const replied = request([[T0 + HOUR, 12, { step: 'assign', to: '物业公司' }], [T0 + DAY, 12, { step: 'reply', notes: '已修' }]]);
  assert.deepEqual(steps(replied, 'member'), ['return_visit']);
  const closed = request([[T0 + HOUR, 12, { step: 'assign', to: '物业公司' }], [T0 + DAY, 12, { step: 'reply', notes: '已修' }], [T0 + 2 * DAY, 7, { step: 'return_visit', satisfaction: 'satisfied' }]]);
  assert.deepEqual(steps(closed, 'grid_leader'), []);
});

test('requestsDue lists open requests, overdue first, then by the nearest limit', () => {
  const late = request([], '019aa5e2-0000-7000-8000-00000000000a');
  const assigned = request([[T0 + 30 * HOUR, 12, { step: 'assign', to: '物业公司' }]], '019aa5e2-0000-7000-8000-00000000000b');
  const closed = request([[T0 + HOUR, 12, { step: 'assign', to: 'x' }], [T0 + 2 * HOUR, 12, { step: 'reply', notes: 'y' }], [T0 + 3 * HOUR, 7, { step: 'return_visit', satisfaction: 'satisfied' }]], '019aa5e2-0000-7000-8000-00000000000c');
  const due = requestsDue(REQUEST, [assigned, closed, late], T0 + 2 * DAY);
  assert.deepEqual(due.map(({ view, state }) => [view.id.at(-1), state.due?.stage, state.due?.overdue]), [['a', 'assign', true], ['b', 'reply', false]]);
});

test('a request raised from a visit links it; a step drops empty keys and is appended when the role may record it', async () => {
  const db = enrolledDb();
  const visit = '019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69';
  const fields = { category: 'repair', description: '卫生间漏水', urgency: 'urgent', source: 'visit', visit };
  const id = await raiseRequest(declaration, { household: 'hh-1', fields }, { db });
  const view = recordView(db.records.get(id));
  await recordStep(declaration, view, { step: 'return_visit', satisfaction: 'satisfied', notes: '' }, { role: 'member', db });
  const [created, step] = db.outbox.values();
  assert.deepEqual([created.op.kind, created.op.fields], ['set', fields]);
  assert.deepEqual([step.op.kind, step.op.record, step.op.field, step.op.value], ['append', id, 'steps', { step: 'return_visit', satisfaction: 'satisfied' }]);
});

test('mediation follow-ups are due on their day and after, soonest first', () => {
  const view = (/** @type {string} */ id, /** @type {string | null} */ next) => /** @type {any} */ ({ id, values: { next_followup: next } });
  assert.deepEqual(
    followupsDue([view('a', '2025-12-02'), view('b', '2025-11-30'), view('c', null), view('d', '2025-11-28')], '2025-11-30').map((v) => v.id),
    ['d', 'b'],
  );
});
