/**
 * One rung of a curtain check's escalation: which step (电话联系 → 上门敲门 → 联系亲属 → 报告社区 → 120/110, the next
 * one preselected), at what time (now by default), its result, and optional notes.
 */

import { t } from '../i18n/index.js';
import { ESCALATION_STEPS } from '../curtain.js';
import { choiceGroup } from './choice-group.js';
import { h } from './dom.js';

const RESULTS = ['no_answer', 'reached', 'help_needed', 'handled'];

/**
 * @param {{rc: import('../record-context.js').RecordContext, nextStep: string | null, time: string,
 *          onSave: (step: {step: string, time: string, result: string, notes?: string}) => Promise<void>}} props
 */
export function escalationForm({ rc, nextStep, time, onSave }) {
  const text = (/** @type {string} */ code) => rc.valueText('curtain_check', 'escalation', code);
  const step = choiceGroup({
    name: 'escalation-step',
    legend: t('curtain.step'),
    options: ESCALATION_STEPS.map((code) => ({ value: code, label: text(code) })),
    selected: nextStep ? [nextStep] : [],
    testid: 'escalation-step',
  });
  const result = choiceGroup({
    name: 'escalation-result',
    legend: t('curtain.result'),
    options: RESULTS.map((code) => ({ value: code, label: text(code) })),
    testid: 'escalation-result',
    columns: true,
  });
  const at = h('input', { id: 'escalation-time', type: 'time', testid: 'escalation-time', value: time, required: true });
  const notes = h('textarea', { id: 'escalation-notes', testid: 'escalation-notes', rows: 2, maxlength: 500, placeholder: t('curtain.stepNotesPlaceholder') });
  const errors = h('p', { class: 'notice notice-error', testid: 'escalation-errors', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary big', testid: 'escalation-save' }, t('curtain.saveStep'));

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    const chosen = { step: step.read() ?? '', time: /** @type {HTMLInputElement} */ (at).value, result: result.read() ?? '' };
    const missing = [!chosen.step && t('curtain.step'), !chosen.time && t('curtain.time'), !chosen.result && t('curtain.result')].filter(Boolean);
    if (missing.length > 0) {
      errors.textContent = missing.map((label) => t('records.required', { field: String(label) })).join('；');
      errors.hidden = false;
      return;
    }
    const written = /** @type {HTMLTextAreaElement} */ (notes).value.trim();
    save.setAttribute('disabled', '');
    try {
      await onSave({ ...chosen, ...(written ? { notes: written } : {}) });
    } catch (error) {
      errors.textContent = String(/** @type {any} */ (error)?.message ?? error);
      errors.hidden = false;
      save.removeAttribute('disabled');
    }
  }

  return h(
    'form',
    { class: 'card form escalation-form', testid: 'escalation-form', onsubmit: onSubmit, novalidate: true },
    h('h2', null, t('curtain.addStep')),
    step.el,
    h('label', { for: 'escalation-time' }, t('curtain.time')),
    at,
    result.el,
    h('label', { for: 'escalation-notes' }, t('curtain.stepNotes')),
    notes,
    errors,
    h('div', { class: 'actions' }, save),
  );
}
