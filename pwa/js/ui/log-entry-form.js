/**
 * A dated note appended to a log (a mediation's session 调解记录 or follow-up 回访记录): date (today by
 * default) and what happened.
 */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

/**
 * @param {{title: string, testid: string, today: string, onSave: (entry: {date: string, notes: string}) => Promise<void>}} props
 */
export function logEntryForm({ title, testid, today, onSave }) {
  const date = h('input', { id: `${testid}-date`, type: 'date', testid: `${testid}-date`, value: today, max: today, required: true });
  const notes = h('textarea', { id: `${testid}-notes`, testid: `${testid}-notes`, rows: 4, maxlength: 5000 });
  const errors = h('p', { class: 'notice notice-error', testid: `${testid}-errors`, role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary big', testid: `${testid}-save` }, t('records.addEntry'));

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    save.setAttribute('disabled', '');
    try {
      await onSave({ date: /** @type {HTMLInputElement} */ (date).value, notes: /** @type {HTMLTextAreaElement} */ (notes).value.trim() });
      /** @type {HTMLTextAreaElement} */ (notes).value = '';
      errors.hidden = true;
    } catch (error) {
      errors.textContent = error instanceof Error ? error.message : String(error);
      errors.hidden = false;
    } finally {
      save.removeAttribute('disabled');
    }
  }

  return h(
    'form',
    { class: 'card form entry-form', testid, onsubmit: onSubmit, novalidate: true },
    h('h2', null, title),
    h('label', { for: `${testid}-date` }, t('records.entryDate')),
    date,
    h('label', { for: `${testid}-notes` }, t('records.entryNotes')),
    notes,
    errors,
    h('div', { class: 'actions' }, save),
  );
}
