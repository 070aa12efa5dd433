// The Today list (pwa/js/today.js) for a fixed clock and a fixture: every kind of entry, what is left
// out and why, the order, and this month's progress.

process.env.TZ = 'Asia/Shanghai'; // the phone's local day and time decide "today" and the curtain deadline

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { computeToday, localClock } from '../../pwa/js/today.js';
import { build, ME, NOW, op, recordId, RULES, visit, world } from './today-fixture.mjs';

const declaration = JSON.parse(readFileSync(new URL('../../server/domain/record-types.json', import.meta.url), 'utf8'));

function today(overrides = {}) {
  const { households, records } = world();
  return computeToday({ now: NOW, households, records, rules: RULES, member: { id: ME, role: 'member' }, declaration, ...overrides });
}

test('the clock is read in the phone\'s own time zone', () => {
  assert.deepEqual(localClock(NOW), { date: '2026-11-30', time: '10:15' });
  const t = today();
  assert.equal(t.date, '2026-11-30');
  assert.equal(t.time, '10:15');
});

test('curtain checks not closed today, overdue ones first, only my households on the round', () => {
  const t = today();
  assert.deepEqual(
    t.curtain.map((c) => [c.household.id, c.overdue, c.deadline, c.state, c.check?.id ?? null, c.nextStep]),
    [
      ['hh-00a', true, '09:30', 'open', null, 'phone'], // no check yet, past grid 12's deadline (yesterday's open check does not count)
      ['hh-00g', true, '09:30', 'open', null, 'phone'], // put on the round by a leader's correction the row does not have yet
      ['hh-00b', false, '11:00', 'escalating', recordId(30), 'knock'], // grid 13's deadline is later; phoned already
    ],
  );
  // hh-00c was closed with an outcome; hh-00f is a colleague's
});

test('a check is overdue once its grid\'s deadline has passed, 09:30 without rules', () => {
  const { households, records } = world();
  const at = (/** @type {string} */ hhmmss) => Date.parse(`2026-11-30T${hhmmss}+08:00`);
  const overdue = (/** @type {number} */ now, /** @type {any} */ rules) =>
    computeToday({ now, households, records, rules, member: { id: ME }, declaration }).curtain
      .filter((c) => c.overdue)
      .map((c) => c.household.id);
  assert.deepEqual(overdue(at('09:30:00'), RULES), []);
  assert.deepEqual(overdue(at('09:30:01'), RULES), ['hh-00a', 'hh-00g']);
  assert.deepEqual(overdue(at('11:00:01'), RULES), ['hh-00a', 'hh-00b', 'hh-00g']); // all overdue: by address
  assert.deepEqual(overdue(at('09:30:01'), null), ['hh-00a', 'hh-00b', 'hh-00g']);
});

test('households past their cadence: care level orange → green, never visited first, then the longest unvisited', () => {
  const t = today();
  assert.deepEqual(
    t.overdue.map((o) => [o.household.id, o.lastVisit, o.due, o.daysOverdue, o.cadence]),
    [
      ['hh-00a', '2026-11-20', '2026-11-27', 3, 7],
      ['hh-00c', null, null, 0, 14],
      ['hh-00g', null, null, 0, 14], // yellow by the leader's correction, not the row's green
      ['hh-00d', '2026-10-01', '2026-10-31', 30, 30], // the November visit found nobody home
    ],
  );
});

test('the cadence comes from the rules', () => {
  const rules = { ...RULES, visit_cadence_days: { orange: 14, yellow: 14, blue: 60, green: 90 } };
  assert.deepEqual(
    today({ rules }).overdue.map((o) => o.household.id),
    ['hh-00c', 'hh-00g'],
  );
});

test('requests past a 1-2-3 limit: of my households or collected by me, not closed, not deleted', () => {
  const t = today();
  assert.deepEqual(
    t.requests.map((r) => [r.view.id, r.stage, r.daysLate, r.household?.id]),
    [
      [recordId(42), 'reply', 7, 'hh-00f'], // a colleague's household, but I collected it; assigned 11-21, reply due 11-23
      [recordId(40), 'assign', 2, 'hh-00a'], // collected 11-27 09:00, assign due 11-28 09:00
    ],
  );
  // 41 is due at 12:00 today, 43 is a colleague's on their household, 44 is closed, 45 deleted
  assert.deepEqual(today({ declaration: undefined }).requests, []);
});

test('mediation follow-ups due today or earlier, earliest first, only those I may read', () => {
  assert.deepEqual(
    today().followups.map((f) => [f.view.id, f.date, f.household?.id]),
    [
      [recordId(53), '2026-11-25', 'hh-00f'],
      [recordId(50), '2026-11-30', 'hh-00d'],
    ],
  );
  // 51's next follow-up moved on after the visit, 52 is next month, 54 is not mine to read
  const coordinator = today({ member: { id: 1, role: 'community' } });
  assert.ok(coordinator.followups.some((f) => f.view.id === recordId(54)));
});

test('this month: my key households visited this month, not-home visits and last month not counted', () => {
  assert.deepEqual(today().month, { visited: 2, total: 5, linked: true });
});

test('a member linked to no household answers for every household of the grids', () => {
  const t = today({ member: { id: 99, role: 'member' } });
  assert.equal(t.month.linked, false);
  assert.deepEqual(t.month, { visited: 2, total: 6, linked: false }); // hh-00f counts now
  assert.ok(t.curtain.some((c) => c.household.id === 'hh-00f'));
  assert.ok(t.overdue.some((o) => o.household.id === 'hh-00f'));
  assert.ok(t.requests.some((r) => r.view.id === recordId(43)));
});

test('a visit recorded on this phone takes the household off the list at once', () => {
  const { households, records } = world();
  records.push(visit('hh-00a', '2026-11-30', 90));
  const t = computeToday({ now: NOW, households, records, rules: RULES, member: { id: ME }, declaration });
  assert.ok(!t.overdue.some((o) => o.household.id === 'hh-00a'));
  assert.equal(t.month.visited, 2); // already visited this month
  records.push(
    build([op({ record: recordId(91), type: 'curtain_check', household: 'hh-00a', at: '2026-11-30T10:14:00+08:00', fields: { date: '2026-11-30', outcome: 'reached' } })]),
  );
  const after = computeToday({ now: NOW, households, records, rules: RULES, member: { id: ME }, declaration });
  assert.deepEqual(after.curtain.map((c) => c.household.id), ['hh-00g', 'hh-00b']);
});

test('an empty phone has an empty day', () => {
  const t = computeToday({ now: NOW, households: [], records: [], rules: null, member: { id: ME }, declaration });
  assert.deepEqual(
    [t.curtain, t.overdue, t.requests, t.followups, t.month],
    [[], [], [], [], { visited: 0, total: 0, linked: false }],
  );
});
