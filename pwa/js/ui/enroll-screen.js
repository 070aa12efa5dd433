/**
 * Enroll 登记 (docs/sync-protocol.md §1): the one-time code from the community, from a link
 * `#enroll=ABCD-EFGH` or typed. As soon as a whole code is there, the screen asks the server about it
 * (step 1) and shows whose code it is; the tap on 登记 then goes straight to the passkey prompt (step 2),
 * as browsers want it. Inside WeChat nothing is started: the page says how to open the link in the
 * phone's browser, where passkeys and storage work.
 */

import { errorMessage, t } from '../i18n/index.js';
import { h } from './dom.js';
import { wechatNotice } from './wechat-notice.js';

/** Codes are 8 characters; people type them with or without the dash, in any case. */
export const normalizeCode = (/** @type {string} */ typed) => typed.replace(/[^A-Za-z0-9]/g, '').toUpperCase();

/** @param {string} userAgent */
export const isWeChat = (userAgent) => /MicroMessenger/i.test(userAgent);

/**
 * @typedef {object} EnrollProps
 * @property {string} [prefill]
 * @property {any[]} members    enrolled on this browser already
 * @property {(code: string) => Promise<any>} start   step 1 (the screen calls it ahead of the tap)
 * @property {(start: any) => boolean} isFresh
 * @property {(args: {code: string, start: any | null, label: string, shared: boolean}) => Promise<void>} enroll
 * @property {() => void} [onCancel]   back to the members enrolled here
 */

/** @param {EnrollProps} props */
export function enrollScreen({ prefill = '', members, start, isFresh, enroll, onCancel }) {
  if (isWeChat(navigator.userAgent)) return { el: wechatNotice() };

  const code = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'enroll-code', testid: 'enroll-code', class: 'code-input', value: prefill,
      placeholder: t('enroll.codePlaceholder'), autocomplete: 'one-time-code', autocapitalize: 'characters',
      spellcheck: 'false', inputmode: 'text', maxlength: 12, required: true,
      oninput: () => lookAhead(),
    })
  );
  const label = /** @type {HTMLInputElement} */ (
    h('input', { id: 'enroll-label', testid: 'enroll-label', maxlength: 64, placeholder: t('enroll.labelPlaceholder') })
  );
  // Own phone or shared tablet: never preset (a re-enrollment after a PIN lockout used to come preset to
  // "shared", and a shared device locks after 10 idle minutes): the member says which.
  /** @param {'own' | 'shared'} kind */
  const kindOption = (kind) =>
    /** @type {HTMLInputElement} */ (h('input', { type: 'radio', name: 'enroll-kind', value: kind, id: `enroll-${kind}`, testid: `enroll-${kind}` }));
  const own = kindOption('own');
  const shared = kindOption('shared');
  const whose = h('p', { class: 'notice notice-info', testid: 'enroll-member', hidden: true });
  const offline = h('p', { class: 'notice notice-warn', testid: 'enroll-offline', role: 'status' }, t('enroll.offline'));
  const error = h('p', { class: 'notice notice-error', testid: 'enroll-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary big', testid: 'enroll-submit' }, t('enroll.submit'));

  /** @type {{code: string, start: any} | null} */
  let ahead = null;

  /** Step 1 ahead of the tap; a failure here says nothing (the tap asks again and shows the error). */
  function lookAhead() {
    const typed = normalizeCode(code.value);
    whose.hidden = true;
    if (typed.length !== 8 || !navigator.onLine) return;
    start(typed).then(
      (answer) => {
        if (normalizeCode(code.value) !== typed) return;
        ahead = { code: typed, start: answer };
        const again = members.some((member) => member.id === answer.member.id);
        whose.textContent = t(again ? 'enroll.forMemberAgain' : 'enroll.forMember', { name: answer.member.name });
        whose.hidden = false;
      },
      () => {},
    );
  }

  const showOnline = () => {
    offline.hidden = navigator.onLine;
  };
  showOnline();
  lookAhead();

  /** @param {SubmitEvent} event */
  function onSubmit(event) {
    event.preventDefault();
    error.hidden = true;
    const typed = normalizeCode(code.value);
    if (typed.length !== 8 || (!own.checked && !shared.checked)) {
      error.textContent = t(typed.length !== 8 ? 'enroll.needCode' : 'enroll.needKind');
      error.hidden = false;
      return;
    }
    submit.setAttribute('disabled', '');
    submit.textContent = t('enroll.submitting');
    // No await before this call: with a fresh step 1 the passkey prompt comes straight from the tap.
    const fresh = ahead && ahead.code === typed && isFresh(ahead.start) ? ahead.start : null;
    ahead = null;
    enroll({ code: typed, start: fresh, label: label.value.trim(), shared: shared.checked }).catch((e) => {
      error.textContent = errorMessage(/** @type {any} */ (e));
      error.hidden = false;
      submit.removeAttribute('disabled');
      submit.textContent = t('enroll.submit');
    });
  }

  const el = h(
    'section',
    { class: 'screen enroll-screen', testid: 'enroll-screen' },
    h(
      'div',
      { class: 'enroll-hero' },
      h('img', { src: '/icons/icon-192.png', alt: '', width: 72, height: 72 }),
      h('h1', null, t(members.length > 0 ? 'enroll.titleAdd' : 'enroll.title')),
      h('p', { class: 'muted' }, t('enroll.intro')),
    ),
    offline,
    h(
      'form',
      { class: 'card form', testid: 'enroll-form', onsubmit: onSubmit },
      h('label', { for: 'enroll-code' }, t('enroll.code')),
      code,
      whose,
      h('label', { for: 'enroll-label' }, t('enroll.label')),
      label,
      h(
        'fieldset',
        { class: 'items device-kind', testid: 'enroll-kind' },
        h('legend', null, t('enroll.deviceKind')),
        h('label', { class: 'check', for: 'enroll-own' }, own, h('span', null, t('enroll.own'))),
        h('label', { class: 'check', for: 'enroll-shared' }, shared, h('span', null, t('enroll.shared'))),
      ),
      error,
      submit,
      h('p', { class: 'muted small' }, t('enroll.passkeyHint')),
    ),
    onCancel &&
      h('button', { type: 'button', class: 'secondary big', testid: 'enroll-cancel', onclick: onCancel }, t('enroll.cancel')),
  );
  return {
    el,
    /** The online/offline events re-render nothing but this hint, so typing is never lost. */
    onNetwork: () => {
      showOnline();
      if (!ahead) lookAhead();
    },
  };
}
