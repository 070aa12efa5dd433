// No screen can show a raw "{message}": every t() call in pwa/js passes the parameters its template
// names, in both languages, and errorMessage fills error.unknown even for the code "unknown" (issue 6 §7:
// a red toast showed "出错了：{message}").

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import en from '../../pwa/js/i18n/en.js';
import { errorMessage, setLang } from '../../pwa/js/i18n/index.js';
import zhCN from '../../pwa/js/i18n/zh-CN.js';

const ROOT = new URL('../../pwa/js/', import.meta.url).pathname;
const placeholders = (/** @type {string} */ template) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/** @param {string} dir @returns {string[]} */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.js') ? [join(dir, entry.name)] : [],
  );
}

const calls = sources(ROOT).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/\bt\((['`])([^'`]+)\1\s*(,\s*\{([^}]*)\})?/g)].map((m) => ({
    file: file.slice(ROOT.length),
    key: m[2],
    dynamic: m[1] === '`' && m[2].includes('${'),
    params: m[3] === undefined ? null : [...m[4].matchAll(/(?:^|,)\s*(\w+)\s*(?=[:,]|$)/g)].map((p) => p[1]).sort(),
  }));
});

test('both languages have the same keys with the same placeholders', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(zhCN).sort());
  const differ = Object.keys(zhCN).filter((key) => placeholders(zhCN[key]).join() !== placeholders(en[key]).join());
  assert.deepEqual(differ, []);
});

test('every t() call with a fixed key passes exactly the parameters its template names', () => {
  assert.ok(calls.length > 100, `found only ${calls.length} calls`);
  const wrong = calls
    .filter((call) => !call.dynamic)
    .filter((call) => {
      if (!(call.key in zhCN)) return false; // a missing key shows as itself, not as a template
      const wanted = placeholders(zhCN[call.key]);
      return wanted.length > 0 && wanted.some((name) => !(call.params ?? []).includes(name));
    });
  assert.deepEqual(wrong, []);
});

test('keys built at run time without parameters name no template with placeholders', () => {
  const wrong = calls
    .filter((call) => call.dynamic && call.params === null)
    .flatMap((call) => {
      const prefix = call.key.slice(0, call.key.indexOf('${'));
      return Object.keys(zhCN)
        .filter((key) => key.startsWith(prefix) && placeholders(zhCN[key]).length > 0)
        .map((key) => `${call.file}: ${call.key} → ${key}`);
    });
  assert.deepEqual(wrong, []);
});

test('errorMessage fills the unknown-error template, whatever the error carries', () => {
  setLang('zh-CN');
  for (const error of [{}, { code: 'unknown' }, { code: 'unknown', message: '' }, { name: 'LockedError' }, { code: 'weird', message: 'boom' }]) {
    const text = errorMessage(error);
    assert.doesNotMatch(text, /\{\w+\}/, JSON.stringify(error));
  }
  assert.equal(errorMessage({ code: 'weird', message: 'boom' }), '出错了：boom');
  assert.equal(errorMessage({ code: 'network', message: 'fetch failed' }), zhCN['error.network']);
});
