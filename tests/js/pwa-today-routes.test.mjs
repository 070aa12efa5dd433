// The routes Today and the household screens add (pwa/js/router.js), and the header's "how long ago"
// (pwa/js/ui/app-header.js syncAge): pure parts of issue 6 §5–§7.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../../pwa/js/i18n/index.js';
import { HOME, isKnownRoute, MEMBER_ROUTES, parseRoute } from '../../pwa/js/router.js';
import { syncAge } from '../../pwa/js/ui/app-header.js';

test('today is home, and any hash no screen knows falls back to it', () => {
  assert.equal(HOME, '#/today');
  assert.deepEqual(parseRoute('#/today'), { name: 'today' });
  assert.deepEqual(parseRoute(''), { name: 'today', fallback: true });
  assert.deepEqual(parseRoute('#/nowhere/1'), { name: 'today', fallback: true });
  assert.equal(isKnownRoute('#/nowhere/1'), false);
  assert.equal(isKnownRoute(HOME), true);
  for (const name of ['today', 'households', 'household', 'household-edit']) assert.ok(MEMBER_ROUTES.has(name), name);
});

test('household routes and the list\'s filters', () => {
  assert.deepEqual(parseRoute('#/households'), { name: 'households', care: '', tag: '', overdue: false });
  assert.deepEqual(parseRoute('#/households?overdue=1&care=orange&tag=elderly_alone'), {
    name: 'households', care: 'orange', tag: 'elderly_alone', overdue: true,
  });
  assert.deepEqual(parseRoute('#/households/hh-0f3a9c2e5b7d'), { name: 'household', id: 'hh-0f3a9c2e5b7d' });
  assert.deepEqual(parseRoute('#/households/hh-0f3a9c2e5b7d/edit'), { name: 'household-edit', id: 'hh-0f3a9c2e5b7d' });
});

test('the header says how old the last successful sync is', () => {
  setLang('zh-CN');
  const at = Date.parse('2026-11-30T10:00:00+08:00');
  const after = (/** @type {number} */ ms) => syncAge(at, at + ms);
  assert.equal(syncAge(null, at), '尚未同步');
  assert.equal(after(59_000), '刚刚同步');
  assert.equal(after(5 * 60_000), '5 分钟前同步');
  assert.equal(after(59 * 60_000 + 59_000), '59 分钟前同步');
  assert.equal(after(3 * 3600_000), '3 小时前同步');
  assert.equal(after(2 * 86_400_000 + 5), '2 天前同步');
  assert.equal(after(-60_000), '刚刚同步', 'a clock set back never shows a negative age');
  setLang('en');
  assert.equal(after(5 * 60_000), 'Synced 5 min ago');
  setLang('zh-CN');
});
