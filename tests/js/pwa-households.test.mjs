// Households as the phone shows them (pwa/js/households.js): the server row overlaid with the local
// household record, visit cadence, the list's filters and urgency order, the edit form's changed fields.

process.env.TZ = 'Asia/Shanghai';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  cadenceStatus,
  filterHouseholds,
  householdChanges,
  isKeyHousehold,
  lastVisits,
  myHouseholds,
  overlayAll,
  overlayHousehold,
  residentsFromForm,
  sortByUrgency,
  withSheetDate,
} from '../../pwa/js/households.js';
import { build, COLLEAGUE, household, LEADER, ME, op, recordId, visit, world } from './today-fixture.mjs';

const correction = (/** @type {string} */ hh, /** @type {Record<string, any>} */ fields, at = '2026-11-30T10:00:00+08:00', author = ME) =>
  op({ record: recordId(100), type: 'household', household: hh, at, author, fields });

test('the row is overlaid with the household record: an unsynced correction shows at once', () => {
  const row = household('hh-001', { phone: '13800000000', residents: [{ name: '王芳' }], tags: ['frail'] });
  assert.equal(overlayHousehold(row, undefined), row);
  const record = build([
    correction('hh-001', { phone: '13912345678', residents: [{ name: '王芳' }, { name: '李明', relation: '子女' }] }),
    correction('hh-001', { tags: null }, '2026-11-30T10:01:00+08:00'),
  ]);
  const shown = overlayHousehold(row, record);
  assert.equal(shown.phone, '13912345678');
  assert.deepEqual(shown.residents.map((r) => r.name), ['王芳', '李明']);
  assert.deepEqual(shown.tags, []);
  assert.equal(shown.address, row.address); // not a field of the record: the row's
  assert.equal(shown.care_level, 'green');
  assert.equal(row.phone, '13800000000', 'the row itself is not changed');
});

test('per field: a colleague\'s later phone and my earlier residents both show', () => {
  const row = household('hh-001');
  const record = build([
    correction('hh-001', { phone: '111', residents: [{ name: '甲' }] }, '2026-11-30T09:00:00+08:00'),
    correction('hh-001', { phone: '222' }, '2026-11-30T09:05:00+08:00', COLLEAGUE),
  ]);
  const [shown] = overlayAll([row], [record, visit('hh-001', '2026-11-30', 1)]);
  assert.deepEqual([shown.phone, shown.residents], ['222', [{ name: '甲' }]]);
});

test('cadence: due the last visit + the level\'s days, overdue the day after, never visited is overdue', () => {
  const rules = { orange: 7, yellow: 14, blue: 30, green: 90 };
  const orange = household('hh-1', { care_level: 'orange' });
  assert.deepEqual(cadenceStatus(orange, '2026-11-23', rules, '2026-11-30'), {
    cadence: 7, lastVisit: '2026-11-23', due: '2026-11-30', overdue: false, daysOverdue: 0,
  });
  assert.deepEqual(cadenceStatus(orange, '2026-11-23', rules, '2026-12-01').daysOverdue, 1);
  assert.equal(cadenceStatus(orange, undefined, rules, '2026-11-30').overdue, true);
  assert.equal(cadenceStatus(household('hh-2', { care_level: null }), '2026-09-01', null, '2026-11-30').cadence, 90);
});

test('cadence: the server\'s last visit counts, so a first sync is right before its history has come', () => {
  const green = household('hh-1', { care_level: 'green', last_visit: '2026-10-01' });
  assert.equal(cadenceStatus(green, undefined, null, '2026-11-30').overdue, false, 'no visit on the phone yet');
  assert.equal(cadenceStatus(green, undefined, null, '2026-11-30').lastVisit, '2026-10-01');
  assert.equal(cadenceStatus(green, '2026-11-20', null, '2026-11-30').lastVisit, '2026-11-20', 'a newer one on the phone');
  assert.equal(cadenceStatus({ ...green, last_visit: null }, undefined, null, '2026-11-30').overdue, true);
});

test('last visits skip deleted visits and nobody-home visits', () => {
  const deleted = build([
    op({ record: recordId(7), type: 'visit', household: 'hh-1', at: '2026-11-29T10:00:00+08:00', fields: { date: '2026-11-29' } }),
    op({ record: recordId(7), type: 'visit', household: 'hh-1', at: '2026-11-29T10:05:00+08:00', kind: 'delete' }),
  ]);
  const visits = lastVisits([visit('hh-1', '2026-11-01', 1), visit('hh-1', '2026-11-20', 2, { not_home: true }), deleted]);
  assert.deepEqual([...visits], [['hh-1', '2026-11-01']]);
});

test('key households and my households', () => {
  assert.equal(isKeyHousehold(household('a')), false);
  assert.equal(isKeyHousehold(household('a', { tags: ['frail'] })), true);
  assert.equal(isKeyHousehold(household('a', { care_level: 'blue' })), true);
  const list = [household('a', { covered_by: [ME] }), household('b', { covered_by: [COLLEAGUE] })];
  assert.deepEqual(myHouseholds(list, ME), { households: [list[0]], linked: true });
  assert.deepEqual(myHouseholds(list, LEADER), { households: list, linked: false });
});

test('the list filters by care level, tag and overdue, and sorts by urgency', () => {
  const { households, records } = world();
  const shown = overlayAll(households, records);
  const visits = lastVisits(records);
  const statusOf = (/** @type {any} */ h) => cadenceStatus(h, visits.get(h.id), null, '2026-11-30');
  const ids = (/** @type {any[]} */ list) => list.map((h) => h.id);

  assert.deepEqual(ids(sortByUrgency(shown, statusOf)), [
    'hh-00a', 'hh-00f', // overdue orange, by address
    'hh-00c', 'hh-00g', // overdue yellow (hh-00g by the leader's correction)
    'hh-00d', // overdue blue
    'hh-00b', // on time: yellow
    'hh-00e', // on time: green
  ]);
  assert.deepEqual(ids(filterHouseholds(shown, { care: 'yellow' }, statusOf)), ['hh-00b', 'hh-00c', 'hh-00g']);
  assert.deepEqual(ids(filterHouseholds(shown, { tag: 'elderly_alone' }, statusOf)), ['hh-00a', 'hh-00b', 'hh-00c', 'hh-00f']);
  assert.deepEqual(ids(filterHouseholds(shown, { overdue: true, tag: 'elderly_alone', care: 'orange' }, statusOf)), ['hh-00a', 'hh-00f']);
  assert.deepEqual(ids(filterHouseholds(shown, {}, statusOf)), ids(shown));
});

test('the address order reads numbers as numbers', () => {
  const list = ['2号楼1单元10', '2号楼1单元9', '10号楼1单元1'].map((address, i) => household(`hh-${i}`, { address }));
  const sorted = sortByUrgency(list, () => ({ overdue: false, cadence: 90, lastVisit: null, due: null, daysOverdue: 0 }));
  assert.deepEqual(sorted.map((h) => h.address), ['2号楼1单元9', '2号楼1单元10', '10号楼1单元1']);
});

test('an edit sends only the changed fields the member may write', () => {
  const before = household('hh-1', { phone: '1', residents: [{ name: '甲' }], tags: ['frail'], health: null });
  const writable = (/** @type {string} */ f) => !['care_level', 'curtain_round', 'covered_by'].includes(f);
  const after = {
    head: before.head, phone: '2', residents: [{ name: '甲' }], tags: ['frail'], health: null, income: null,
    care_level: 'orange', contact_card: '2026-11-30', notes: 'not a household field',
  };
  assert.deepEqual(householdChanges(before, after, writable), { phone: '2', contact_card: '2026-11-30' });
  assert.deepEqual(householdChanges({ ...before, tags: undefined }, { tags: [] }, writable), {});
  const tagged = household('hh-2', { tags: ['frail', 'elderly_alone'] });
  assert.deepEqual(householdChanges(tagged, { tags: ['elderly_alone', 'frail'] }, writable), {}, 'the order of tags is no change');
  assert.deepEqual(householdChanges(tagged, { tags: ['elderly_alone'] }, writable), { tags: ['elderly_alone'] });
});

test('correcting the sheet\'s contents dates the sheet today, unless the member dated it', () => {
  const all = () => true;
  assert.deepEqual(withSheetDate({ phone: '1' }, '2026-11-30', all), { phone: '1' });
  assert.deepEqual(withSheetDate({ health: '高血压' }, '2026-11-30', all), { health: '高血压', info_sheet: '2026-11-30' });
  assert.deepEqual(withSheetDate({ residents: [], info_sheet: '2026-11-01' }, '2026-11-30', all), { residents: [], info_sheet: '2026-11-01' });
  assert.deepEqual(withSheetDate({ income: 'normal' }, '2026-11-30', (f) => f !== 'info_sheet'), { income: 'normal' });
});

test('resident rows: empty rows dropped, text trimmed, birth year a number, notes kept', () => {
  assert.deepEqual(
    residentsFromForm([
      { name: ' 王芳 ', relation: '户主', birth_year: '1948', notes: '' },
      { name: '', relation: '子女', birth_year: '' },
      { name: '李明', relation: ' ', birth_year: '19x8', notes: '在外地' },
    ]),
    [{ name: '王芳', relation: '户主', birth_year: 1948 }, { name: '李明', notes: '在外地' }],
  );
});
