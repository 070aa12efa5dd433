/** A 6-digit PIN field: big, numeric keyboard, never autofilled or remembered by the browser. */

import { PIN_LENGTH } from '../pin.js';
import { h } from './dom.js';

/**
 * @param {{id: string, testid: string, label: string, autofocus?: boolean}} props
 * @returns {HTMLInputElement}
 */
export function pinInput({ id, testid, label, autofocus = false }) {
  return /** @type {HTMLInputElement} */ (
    h('input', {
      id,
      testid,
      class: 'pin-input',
      type: 'password',
      inputmode: 'numeric',
      pattern: '[0-9]*',
      maxlength: PIN_LENGTH,
      autocomplete: 'off',
      'aria-label': label,
      autofocus,
      // Only digits: a stray letter from a hardware keyboard would make a PIN the keypad cannot type.
      oninput: (/** @type {Event} */ event) => {
        const input = /** @type {HTMLInputElement} */ (event.target);
        const digits = input.value.replace(/\D/g, '').slice(0, PIN_LENGTH);
        if (digits !== input.value) input.value = digits;
      },
    })
  );
}
