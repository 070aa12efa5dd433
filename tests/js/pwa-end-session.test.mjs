// Locking the app ends the server session (issue 9, hole 1): pwa/js/auth.js endServerSession and
// endPendingSession against the fake server, online, offline and after a reload (no CSRF token in memory).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApi } from '../../pwa/js/api.js';
import { endPendingSession, endServerSession } from '../../pwa/js/auth.js';
import { fakeServer } from './pwa-fakes.mjs';

function fakeSettings(members = []) {
  /** @type {Map<string, any>} */
  const settings = new Map();
  return {
    settings,
    async getSetting(/** @type {string} */ key) { return settings.get(key); },
    async setSettings(/** @type {Record<string, any>} */ entries) {
      for (const [key, value] of Object.entries(entries)) settings.set(key, value);
    },
    async listMembers() { return members; },
  };
}

test('online, locking ends the session even after a reload forgot the CSRF token', async () => {
  const server = fakeServer();
  const api = createApi({ fetch: server.fetch });
  const db = fakeSettings();
  assert.equal(api.hasCsrf, false);

  assert.equal(await endServerSession(api, db), true);

  assert.equal(server.session, null);
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), ['GET /api/me', 'POST /api/logout']);
  assert.equal(db.settings.get('logoutPending'), false);
  assert.equal(api.hasCsrf, false);
});

test('with no session left there is nothing to end, and nothing stays pending', async () => {
  const server = fakeServer({ loggedIn: null });
  const db = fakeSettings();
  assert.equal(await endServerSession(createApi({ fetch: server.fetch }), db), true);
  assert.equal(db.settings.get('logoutPending'), false);
});

test('offline, the logout waits and is sent at the next chance', async () => {
  const server = fakeServer();
  const api = createApi({ fetch: server.fetch });
  const db = fakeSettings();
  server.failures.push(() => new TypeError('Failed to fetch'));

  assert.equal(await endServerSession(api, db), false);
  assert.notEqual(server.session, null, 'the server never heard of it');
  assert.equal(db.settings.get('logoutPending'), true);

  await endPendingSession(api, db);
  assert.equal(server.session, null);
  assert.equal(db.settings.get('logoutPending'), false);
});

test('a personal phone keeps its session across a reload; a shared tablet does not', async () => {
  const personal = fakeServer();
  await endPendingSession(createApi({ fetch: personal.fetch }), fakeSettings([{ id: 7, device: { shared: false } }]));
  assert.notEqual(personal.session, null);
  assert.equal(personal.requests.length, 0);

  const tablet = fakeServer();
  await endPendingSession(createApi({ fetch: tablet.fetch }), fakeSettings([{ id: 7, device: { shared: true } }]));
  assert.equal(tablet.session, null);
});
