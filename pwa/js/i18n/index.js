/**
 * Interface language: zh-CN first (DOMAIN.md), English on request. Both dictionaries are small and
 * loaded up front, so switching works offline.
 */

import en from './en.js';
import zhCN from './zh-CN.js';

/** @type {Record<string, Record<string, string>>} */
const DICTIONARIES = { 'zh-CN': zhCN, en };
export const LANGUAGES = /** @type {const} */ (['zh-CN', 'en']);
export const DEFAULT_LANG = 'zh-CN';

let current = DEFAULT_LANG;

/** @param {string | null | undefined} lang  unknown values fall back to zh-CN */
export function setLang(lang) {
  current = lang && lang in DICTIONARIES ? lang : DEFAULT_LANG;
  if (globalThis.document) document.documentElement.lang = current;
  return current;
}

export function getLang() {
  return current;
}

/**
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 * @returns {string} the key itself when no dictionary has it, so a gap shows instead of hiding
 */
export function t(key, params) {
  const template = DICTIONARIES[current][key] ?? DICTIONARIES[DEFAULT_LANG][key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/**
 * @param {string} key
 * @returns {boolean}
 */
export function has(key) {
  return key in DICTIONARIES[current] || key in DICTIONARIES[DEFAULT_LANG];
}

/**
 * Why the server refused an op, for people: our translation of the stable code, else the server's own
 * message in the current language, else the code.
 * @param {{code?: string, message?: string, message_zh?: string}} rejection
 */
export function rejectionReason({ code, message, message_zh }) {
  if (code && has(`reject.${code}`)) return t(`reject.${code}`);
  if (current === 'zh-CN' && message_zh) return message_zh;
  return message || message_zh || code || '';
}

/**
 * A failed request or sync round, for people.
 * @param {{code?: string, message?: string, status?: number}} error
 */
export function errorMessage(error) {
  const code = error?.code ?? 'unknown';
  const message = error?.message || code;
  // error.unknown is the template for everything else: it needs the message (a lone t() left "{message}").
  if (code !== 'unknown' && has(`error.${code}`)) return t(`error.${code}`, { message });
  if (/^http_5\d\d$/.test(code) || (error?.status ?? 0) >= 500) return t('error.server');
  return t('error.unknown', { message });
}

/**
 * "HH:MM" today, "MM-DD HH:MM" on other days.
 * @param {number} ms
 * @param {number} [nowMs]
 */
export function formatTime(ms, nowMs = Date.now()) {
  const d = new Date(ms);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return new Date(nowMs).toDateString() === d.toDateString() ? time : `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}
