/**
 * 登录联户工作台: the console logs in with the member app's own modules, so the ceremony is the app's, not a
 * copy of it. The console is on the app's origin: a coordinator enrolled in the app on this browser already
 * has their device key (or passkey) and PIN-wrapped data in the app's IndexedDB.
 *
 *   1. db.listMembers()           the members enrolled in this browser (plaintext directory, no secret)
 *   2. pin.unlockWithPin()        a device-key member proves the PIN (5 wrong ones lock, as in the app);
 *                                 it also gives the PIN login key that proves the PIN to the server
 *   3. auth.login()               the app's login ceremony: device key + PIN proof, or the passkey (this tap)
 *   4. back to the console page that sent us here (data-next, a /console/ path checked by the server)
 *
 * A first visit has nobody enrolled: the enrollment form goes to the app's /#enroll=CODE.
 */

import { ApiError, createApi } from '/js/api.js';
import { login, loginStart, reportLockouts } from '/js/auth.js';
import * as db from '/js/db.js';
import { unlockWithPin } from '/js/pin.js';

const root = /** @type {HTMLElement} */ (document.getElementById('login'));
const part = (/** @type {string} */ name) => /** @type {HTMLElement} */ (root.querySelector(`[data-role="${name}"]`));
const text = /** @type {DOMStringMap} */ (part('messages').dataset);
const next = root.dataset.next || '/console/';
const api = createApi();

const form = /** @type {HTMLFormElement} */ (part('pin-form'));
const pinInput = /** @type {HTMLInputElement} */ (form.querySelector('#login-pin'));
const submit = /** @type {HTMLButtonElement} */ (form.querySelector('[type="submit"]'));
const submitLabel = submit.textContent ?? '';
const error = part('error');

/** @type {any} the chosen member's directory entry */
let chosen = null;
/** @type {Promise<any> | null} a passkey login ceremony fetched before the tap */
let ahead = null;

/** @param {string} message */
function showError(message) {
  error.textContent = message;
  error.hidden = false;
}

/** @param {any[]} members */
function showList(members) {
  const items = members.map((member) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.testid = 'login-member';
    button.dataset.id = String(member.id);
    button.append(member.name);
    if (member.locked) {
      const badge = document.createElement('span');
      badge.className = 'badge badge-alert';
      badge.textContent = text.lockedBadge ?? '';
      button.append(badge);
    }
    button.addEventListener('click', () => choose(member, members.length > 1));
    const item = document.createElement('li');
    item.append(button);
    return item;
  });
  part('member-list').replaceChildren(...items);
  part('members').hidden = false;
  form.hidden = true;
}

/**
 * @param {any} member
 * @param {boolean} others
 */
function choose(member, others) {
  chosen = member;
  part('members').hidden = true;
  form.hidden = false;
  error.hidden = true;
  part('pin-name').textContent = member.name;
  part('back').hidden = !others;
  const passkey = member.method === 'passkey';
  pinInput.hidden = passkey;
  part('pin-label').hidden = passkey;
  submit.textContent = passkey ? text.passkey ?? submitLabel : submitLabel;
  submit.disabled = Boolean(member.locked);
  if (member.locked) showError(text.locked ?? '');
  ahead = passkey && !member.locked ? loginStart(api, member.device.id) : null;
  ahead?.catch(() => {});
  if (!passkey) pinInput.focus();
}

/**
 * @param {any} entry
 * @param {CryptoKey | null} [pinKey]  the PIN login key from unlockWithPin (device keys); kept nowhere else
 */
async function logIn(entry, pinKey = null) {
  const start = ahead ? await ahead.catch(() => undefined) : undefined;
  ahead = null;
  await login({ api, member: entry, origin: location.origin, start, pinKey });
  location.assign(next);
}

/** @param {unknown} failure */
function explain(failure) {
  if (failure instanceof ApiError && failure.status === 401) return text.refused ?? '';
  const reason = failure instanceof ApiError && document.documentElement.lang === 'zh-CN' && failure.messageZh
    ? failure.messageZh
    : String(/** @type {any} */ (failure)?.message ?? failure);
  return (text.failed ?? '{reason}').replace('{reason}', reason);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!chosen || chosen.locked) return;
  error.hidden = true;
  submit.disabled = true;
  submit.textContent = text.working ?? submitLabel;
  try {
    if (chosen.method === 'passkey') {
      await logIn(chosen);
      return;
    }
    if (!/^\d{6}$/.test(pinInput.value)) {
      showError(text.needDigits ?? '');
      return;
    }
    const result = await unlockWithPin(db, chosen.id, pinInput.value);
    pinInput.value = '';
    if (result.status === 'wrong') {
      showError((text.wrong ?? '').replace('{n}', String(result.left)));
    } else if (result.status === 'locked') {
      chosen = result.entry;
      showError(text.locked ?? '');
      reportLockouts(api, db).catch(() => {});
    } else {
      await logIn(result.entry, result.pinKey ?? null);
      return;
    }
  } catch (failure) {
    showError(explain(failure));
  } finally {
    if (!chosen?.locked) submit.disabled = false;
    submit.textContent = chosen?.method === 'passkey' ? text.passkey ?? submitLabel : submitLabel;
  }
});

part('back').addEventListener('click', () => start());

part('enroll-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const code = /** @type {HTMLInputElement} */ (root.querySelector('#enroll-code')).value.trim();
  location.assign(code ? `/#enroll=${encodeURIComponent(code)}` : '/#/enroll');
});

async function start() {
  const members = (await db.listMembers()).sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  part('loading').hidden = true;
  if (members.length === 0) {
    part('none').hidden = false;
    form.hidden = true;
  } else if (members.length === 1) {
    choose(members[0], false);
  } else {
    showList(members);
  }
}

start().catch((failure) => {
  part('loading').hidden = true;
  showError(explain(failure));
});
