/**
 * Recording one step of a request's loop: 收集 (notes, optional — creating the request already counts),
 * 转办 (to a department, as text, or to a member), 答复 (what was done), 回访 (the resident's satisfaction).
 * Only the steps the member's role may record are offered (requests.js availableSteps); the server checks
 * the role again.
 */

import { t } from '../i18n/index.js';
import { stageLabel } from '../requests.js';
import { choiceGroup } from './choice-group.js';
import { h } from './dom.js';

/**
 * @param {{step: string, recordType: any, rc: import('../record-context.js').RecordContext,
 *          onSave: (value: Record<string, any>) => Promise<void>}} props
 */
export function requestStepForm({ step, recordType, rc, onSave }) {
  const id = (/** @type {string} */ name) => `step-${step}-${name}`;
  const log = recordType.logs.steps;
  const notes = h('textarea', { id: id('notes'), testid: `step-${step}-notes`, rows: 3, maxlength: 2000 });
  const to = step === 'assign' ? h('input', { id: id('to'), testid: 'step-assign-to', maxlength: 100, placeholder: t('requests.toPlaceholder') }) : null;
  const toMember =
    step === 'assign'
      ? h(
          'select',
          { id: id('member'), testid: 'step-assign-member' },
          h('option', { value: '' }, t('requests.noMember')),
          rc.colleagues.map((colleague) => h('option', { value: String(colleague.id) }, rc.nameOf(colleague.id))),
        )
      : null;
  const satisfaction =
    step === 'return_visit'
      ? choiceGroup({
          name: 'step-satisfaction',
          legend: t('requests.satisfaction'),
          options: log.schema.properties.satisfaction.enum.map((/** @type {string} */ code) => ({ value: code, label: rc.valueText('request', 'steps', code) })),
          testid: 'step-satisfaction',
        })
      : null;
  const errors = h('p', { class: 'notice notice-error', testid: `step-${step}-errors`, role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary big', testid: `step-${step}-save` }, t('requests.saveStep', { step: stageLabel(recordType, step, rc.lang) }));

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    /** @type {Record<string, any>} */
    const value = { step, notes: /** @type {HTMLTextAreaElement} */ (notes).value.trim() };
    if (to) value.to = /** @type {HTMLInputElement} */ (to).value.trim();
    if (toMember && /** @type {HTMLSelectElement} */ (toMember).value) value.to_member = Number(/** @type {HTMLSelectElement} */ (toMember).value);
    if (satisfaction) value.satisfaction = satisfaction.read() ?? '';
    save.setAttribute('disabled', '');
    try {
      await onSave(value);
    } catch (error) {
      errors.textContent = error instanceof Error ? error.message : String(error);
      errors.hidden = false;
      save.removeAttribute('disabled');
    }
  }

  const notesLabel = t(step === 'reply' ? 'requests.replyNotes' : 'requests.stepNotes');
  return h(
    'form',
    { class: 'card form step-form', testid: `step-${step}-form`, onsubmit: onSubmit, novalidate: true },
    h('h2', null, stageLabel(recordType, step, rc.lang)),
    to && [h('label', { for: id('to') }, t('requests.to')), to, h('label', { for: id('member') }, t('requests.toMember')), toMember],
    satisfaction?.el,
    h('label', { for: id('notes') }, notesLabel),
    notes,
    errors,
    h('div', { class: 'actions' }, save),
  );
}
