/**
 * Set the PIN 设置 PIN, right after enrollment: six digits, twice. The PIN opens this member's data on
 * this device without any signal; it never leaves the device and is not stored (pin.js, vault.js).
 * After a lockout the same screen finishes the re-enrollment: the old data is reopened with the new PIN.
 */

import { errorMessage, t } from '../i18n/index.js';
import { MAX_PIN_ATTEMPTS, pinProblem } from '../pin.js';
import { h } from './dom.js';
import { pinInput } from './pin-input.js';

/**
 * @param {{name: string, again: boolean, unsynced: number, onSet: (pin: string) => Promise<void>}} props
 */
export function pinSetup({ name, again, unsynced, onSet }) {
  const first = pinInput({ id: 'pin-new', testid: 'pin-new', label: t('pin.new'), autofocus: true });
  const second = pinInput({ id: 'pin-confirm', testid: 'pin-confirm', label: t('pin.confirm') });
  const error = h('p', { class: 'notice notice-error', testid: 'pin-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary big', testid: 'pin-submit' }, t('pin.set'));

  /** @param {string} message */
  const fail = (message) => {
    error.textContent = message;
    error.hidden = false;
  };

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    error.hidden = true;
    const problem = pinProblem(first.value);
    if (problem) return fail(t(problem));
    if (first.value !== second.value) {
      second.value = '';
      return fail(t('pin.mismatch'));
    }
    submit.setAttribute('disabled', '');
    submit.textContent = t('pin.setting');
    try {
      await onSet(first.value);
    } catch (e) {
      const err = /** @type {any} */ (e);
      fail(err?.name === 'CannotReopenError' ? t('pin.cannotReopen') : errorMessage(err));
      submit.removeAttribute('disabled');
      submit.textContent = t('pin.set');
    }
  }

  const el = h(
    'section',
    { class: 'screen pin-screen', testid: 'pin-setup-screen' },
    h('h1', null, t('pin.setTitle')),
    h('p', { class: 'muted' }, t(again ? 'pin.setIntroAgain' : 'pin.setIntro', { name, n: MAX_PIN_ATTEMPTS })),
    again && unsynced > 0 && h('p', { class: 'notice notice-info', testid: 'pin-unsynced' }, t('pin.keptRecords', { n: unsynced })),
    h(
      'form',
      { class: 'card form', testid: 'pin-setup-form', onsubmit: onSubmit, novalidate: true },
      h('label', { for: 'pin-new' }, t('pin.new')),
      first,
      h('label', { for: 'pin-confirm' }, t('pin.confirm')),
      second,
      error,
      submit,
    ),
  );
  return { el };
}
