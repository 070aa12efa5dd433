/**
 * Enroll this device 登记本机: trade the one-time code from the community (docs §1) for a device session.
 * The code may come pre-filled from a link `#enroll=ABCD-EFGH`. This is the one screen that needs the
 * network, so it says so while the phone is offline.
 */

import { errorMessage, t } from '../i18n/index.js';
import { h } from './dom.js';

/** Codes are 8 characters; people type them with or without the dash, in any case. */
const CODE_CHARS = /[^A-Za-z0-9]/g;

/**
 * @param {{prefill?: string, enroll: (code: string, label: string) => Promise<void>}} props
 */
export function enrollScreen({ prefill = '', enroll }) {
  const code = h('input', {
    id: 'enroll-code',
    testid: 'enroll-code',
    class: 'code-input',
    value: prefill,
    placeholder: t('enroll.codePlaceholder'),
    autocomplete: 'one-time-code',
    autocapitalize: 'characters',
    spellcheck: 'false',
    inputmode: 'text',
    maxlength: 12,
    required: true,
  });
  const label = h('input', {
    id: 'enroll-label',
    testid: 'enroll-label',
    maxlength: 64,
    placeholder: t('enroll.labelPlaceholder'),
  });
  const offline = h('p', { class: 'notice notice-warn', testid: 'enroll-offline', role: 'status' }, t('enroll.offline'));
  const error = h('p', { class: 'notice notice-error', testid: 'enroll-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary big', testid: 'enroll-submit' }, t('enroll.submit'));

  const showOnline = () => {
    offline.hidden = navigator.onLine;
  };
  showOnline();

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    error.hidden = true;
    const typed = /** @type {HTMLInputElement} */ (code).value;
    if (typed.replace(CODE_CHARS, '').length !== 8) {
      error.textContent = t('enroll.needCode');
      error.hidden = false;
      return;
    }
    submit.setAttribute('disabled', '');
    submit.textContent = t('enroll.submitting');
    try {
      await enroll(typed.trim(), /** @type {HTMLInputElement} */ (label).value.trim());
    } catch (e) {
      error.textContent = errorMessage(/** @type {any} */ (e));
      error.hidden = false;
      submit.removeAttribute('disabled');
      submit.textContent = t('enroll.submit');
    }
  }

  const el = h(
    'section',
    { class: 'screen enroll-screen', testid: 'enroll-screen' },
    h(
      'div',
      { class: 'enroll-hero' },
      h('img', { src: '/icons/icon-192.png', alt: '', width: 72, height: 72 }),
      h('h1', null, t('enroll.title')),
      h('p', { class: 'muted' }, t('enroll.intro')),
    ),
    offline,
    h(
      'form',
      { class: 'card form', testid: 'enroll-form', onsubmit: onSubmit },
      h('label', { for: 'enroll-code' }, t('enroll.code')),
      code,
      h('label', { for: 'enroll-label' }, t('enroll.label')),
      label,
      error,
      submit,
    ),
  );
  return {
    el,
    /** The online/offline events re-render nothing but this hint, so typing is never lost. */
    onNetwork: showOnline,
  };
}
