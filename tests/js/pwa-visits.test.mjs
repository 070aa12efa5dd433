// Pure helpers of the PWA: visit view models, form → op fields, sync status, routes, translations.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import en from '../../pwa/js/i18n/en.js';
import { errorMessage, rejectionReason, setLang, t } from '../../pwa/js/i18n/index.js';
import zhCN from '../../pwa/js/i18n/zh-CN.js';
import { parseRoute } from '../../pwa/js/router.js';
import { applyOp } from '../../pwa/js/sync/merge.js';
import {
  editFields,
  formFields,
  lastVisitDates,
  searchHouseholds,
  sortHouseholds,
  sortVisits,
  syncStatus,
  validateForm,
  visitView,
} from '../../pwa/js/visits.js';

const RECORD = '019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69';

/** @param {string} id @param {string} clock @param {Record<string, any>} fields @param {number} author */
function setOp(id, clock, fields, author) {
  return { id, record: RECORD, type: 'visit', household: 'hh-1', clock, replica: `r${author}`, kind: 'set', fields, author };
}

/** @param {Partial<import('../../pwa/js/visits.js').VisitForm>} overrides */
function form(overrides = {}) {
  return { household: 'hh-1', date: '2026-11-21', items: ['safety', 'policy'], notes: ' 老人身体尚好 ', request: '', ...overrides };
}

test('visitView reads the winning values and the creating author from a merged state', () => {
  let state = applyOp(null, setOp('019aa5e2-0000-7000-8000-000000000001', '001763712000000-00000',
    { date: '2026-11-20', items: ['policy'], notes: '第一次', request: null }, 7));
  state = applyOp(state, setOp('019aa5e2-0000-7000-8000-000000000002', '001763712060000-00000', { notes: '同事改过' }, 9));
  const view = visitView(state);
  assert.deepEqual(
    { ...view, createdClock: undefined },
    { id: RECORD, household: 'hh-1', date: '2026-11-20', items: ['policy'], notes: '同事改过', request: null, notHome: false, coVisitors: [], author: 7, editor: 9, createdClock: undefined, deleted: false },
  );
  assert.equal(view.createdClock, '001763712000000-00000');
});

test('formFields trims text, turns empty text into null and keeps the four items in form order', () => {
  assert.deepEqual(formFields(form()), { date: '2026-11-21', items: ['policy', 'safety'], notes: '老人身体尚好', request: null });
});

test('未遇 and co-visitors go into a new visit only when given; an edit names them so they can be cleared', () => {
  assert.deepEqual(formFields(form({ notHome: true, coVisitors: [12, 9] })), {
    date: '2026-11-21', items: ['policy', 'safety'], notes: '老人身体尚好', request: null, not_home: true, co_visitors: [9, 12],
  });
  assert.deepEqual(editFields(form()), {
    date: '2026-11-21', items: ['policy', 'safety'], notes: '老人身体尚好', request: null, not_home: null, co_visitors: [],
  });
  // What an edit sends is then decided by records.js changedValues (tests/js/pwa-records.test.mjs).
});

test('validateForm names what is missing or too long', () => {
  assert.deepEqual(validateForm(form()), []);
  assert.deepEqual(validateForm(form({ household: '', date: '' })), ['visit.needHousehold', 'visit.needDate']);
  assert.deepEqual(validateForm(form({ notes: 'x'.repeat(5001) })), ['visit.notesTooLong']);
});

test('syncStatus: rejected outranks pending outranks synced', () => {
  assert.deepEqual(syncStatus([]), { status: 'synced' });
  assert.deepEqual(syncStatus([{ seq: 1, status: 'pending' }]), { status: 'pending' });
  const rejected = { seq: 2, status: 'rejected', code: 'out_of_scope', message: 'm', message_zh: 'z' };
  assert.equal(syncStatus([{ seq: 1, status: 'pending' }, rejected]).status, 'rejected');
});

test('sortVisits puts the newest visit date first, then the newest record', () => {
  const v = (/** @type {string} */ id, /** @type {string} */ date, /** @type {string} */ clock) =>
    ({ id, household: 'hh', date, items: [], notes: null, request: null, author: null, editor: null, createdClock: clock, deleted: false });
  const sorted = sortVisits([v('a', '2026-11-01', '1'), v('b', '2026-11-20', '1'), v('c', '2026-11-20', '2')]);
  assert.deepEqual(sorted.map((x) => x.id), ['c', 'b', 'a']);
  assert.deepEqual([...lastVisitDates(sorted)], [['hh', '2026-11-20']]);
});

test('households are searched by address, head and tag label, and sorted like addresses', () => {
  const households = [
    { id: '1', address: '3号楼2单元10', head: '王秀英', tags: ['elderly_alone'] },
    { id: '2', address: '3号楼2单元9', head: '李建国', tags: [] },
  ];
  const label = (/** @type {string} */ tag) => (tag === 'elderly_alone' ? '独居老人' : tag);
  assert.deepEqual(searchHouseholds(households, '独居', label).map((h) => h.id), ['1']);
  assert.deepEqual(searchHouseholds(households, '3号楼 李', label).map((h) => h.id), ['2']);
  assert.equal(searchHouseholds(households, '  ', label).length, 2);
  assert.deepEqual(sortHouseholds(households).map((h) => h.id), ['2', '1']);
});

test('routes', () => {
  assert.deepEqual(parseRoute(''), { name: 'today', fallback: true });
  assert.deepEqual(parseRoute('#enroll=ABCD-EFGH'), { name: 'enroll', enrollCode: 'ABCD-EFGH' });
  assert.deepEqual(parseRoute('#/visits'), { name: 'visits' });
  assert.deepEqual(parseRoute('#/visits/new?household=hh-1'), { name: 'visit-new', household: 'hh-1' });
  assert.deepEqual(parseRoute(`#/visits/${RECORD}`), { name: 'visit-edit', id: RECORD });
  assert.deepEqual(parseRoute('#/me'), { name: 'me' });
});

test('both languages have the same keys and the same parameters', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(zhCN).sort());
  const params = (/** @type {string} */ s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(zhCN)) {
    assert.deepEqual(params(en[/** @type {keyof typeof en} */ (key)]), params(zhCN[/** @type {keyof typeof zhCN} */ (key)]), key);
  }
});

test('every push rejection code of the protocol has a translation', () => {
  const codes = ['invalid_op', 'author_not_allowed', 'unknown_type', 'invalid_field', 'invalid_value', 'op_too_large',
    'clock_ahead', 'replica_mismatch', 'out_of_scope', 'record_mismatch', 'op_conflict', 'duplicate_in_batch'];
  for (const code of codes) assert.ok(`reject.${code}` in zhCN && `reject.${code}` in en, code);
});

test('a rejection reason falls back to the server message in the current language', () => {
  setLang('zh-CN');
  assert.equal(rejectionReason({ code: 'out_of_scope', message: 'x' }), '该户不在您负责的网格内');
  assert.equal(rejectionReason({ code: 'brand_new', message: 'new rule', message_zh: '新规则' }), '新规则');
  setLang('en');
  assert.equal(rejectionReason({ code: 'brand_new', message: 'new rule', message_zh: '新规则' }), 'new rule');
  assert.equal(t('header.unsynced', { n: 3 }), '3 unsynced');
  assert.equal(errorMessage({ code: 'http_502', status: 502 }), t('error.server'));
  setLang('fr');
  assert.equal(t('status.pending'), '待同步', 'an unknown language falls back to zh-CN');
});
