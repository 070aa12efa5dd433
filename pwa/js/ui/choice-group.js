/**
 * A choice among a declaration's codes (a category, an outcome, a step…) as large radio buttons or, with
 * `multiple`, check boxes: one tap each, 48 px high, the label in the member's language.
 */

import { h } from './dom.js';

/**
 * @param {{name: string, legend: string, options: {value: string | number, label: string}[],
 *          selected?: (string | number)[], multiple?: boolean, testid: string, columns?: boolean}} props
 *   testid: of the fieldset; each option gets `${testid}-${value}`
 * @returns {{el: HTMLElement, read: () => string | null, readAll: () => string[], set: (value: string) => void}}
 */
export function choiceGroup({ name, legend, options, selected = [], multiple = false, testid, columns = false }) {
  const inputs = options.map((option) =>
    h('input', {
      type: multiple ? 'checkbox' : 'radio',
      name,
      value: String(option.value),
      testid: `${testid}-${option.value}`,
      checked: selected.map(String).includes(String(option.value)),
    }),
  );
  const el = h(
    'fieldset',
    { class: columns ? 'items choice columns' : 'items choice', testid },
    h('legend', null, legend),
    options.map((option, i) => h('label', { class: 'check' }, inputs[i], h('span', null, option.label))),
  );
  const readAll = () => inputs.filter((input) => /** @type {HTMLInputElement} */ (input).checked).map((input) => /** @type {HTMLInputElement} */ (input).value);
  return {
    el,
    readAll,
    read: () => readAll()[0] ?? null,
    set: (value) => {
      for (const input of inputs) /** @type {HTMLInputElement} */ (input).checked = /** @type {HTMLInputElement} */ (input).value === value;
    },
  };
}
