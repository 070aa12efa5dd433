/**
 * A mediation 矛盾调解, new or edited (#/mediation/new?household=…, #/mediation/<id>/edit): category,
 * parties, summary, the mediators (picked from colleagues, me preselected: only they, the creator and
 * coordinators will ever read it), outcome and the next follow-up date. An edit sends only what changed.
 */

import { t } from '../i18n/index.js';
import { householdText, recordContext } from '../record-context.js';
import { recordView } from '../record-view.js';
import { RecordCheckError } from '../records.js';
import { saveMediation, TYPE } from '../mediation.js';
import { sortHouseholds } from '../visits.js';
import { choiceGroup } from './choice-group.js';
import { colleaguePicker } from './colleague-picker.js';
import { h } from './dom.js';
import { showToast } from './toast.js';

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{id?: string, household?: string}} route
 */
export async function mediationForm(ctx, { id, household: preselected }) {
  const rc = await recordContext(ctx);
  const state = id ? await ctx.db.getRecord(id) : null;
  const before = state && state.type === TYPE ? recordView(state) : null;
  if (id && !before) return { el: h('section', { class: 'screen' }, h('p', { class: 'empty', testid: 'mediation-not-found' }, t('mediation.notFound'))) };
  const values = before?.values ?? {};
  const spec = rc.declaration.types[TYPE];
  const options = (/** @type {string} */ field) =>
    spec.fields[field].schema.enum.filter((/** @type {any} */ code) => code !== null).map((/** @type {string} */ code) => ({ value: code, label: rc.valueText(TYPE, field, code) }));

  const household = before
    ? h('p', { class: 'readonly' }, householdText(rc.households.get(before.household), before.household))
    : h(
        'select',
        { id: 'mediation-household', testid: 'mediation-household', required: true },
        h('option', { value: '' }, t('visit.chooseHousehold')),
        sortHouseholds([...rc.households.values()]).map((hh) => h('option', { value: hh.id, selected: hh.id === preselected }, householdText(hh))),
      );
  const category = choiceGroup({ name: 'mediation-category', legend: rc.label(TYPE, 'category'), options: options('category'), selected: values.category ? [values.category] : [], testid: 'mediation-category', columns: true });
  const parties = h('input', { id: 'mediation-parties', testid: 'mediation-parties', maxlength: 500, value: values.parties ?? '', placeholder: t('mediation.partiesPlaceholder') });
  const summary = h('textarea', { id: 'mediation-summary', testid: 'mediation-summary', rows: 4, maxlength: 5000, value: values.summary ?? '' });
  const me = rc.member?.id;
  const mediators = colleaguePicker({
    legend: rc.label(TYPE, 'mediators'),
    colleagues: rc.colleagues,
    selected: values.mediators ?? (me ? [me] : []),
    testid: 'mediation-mediators',
    nameOf: rc.nameOf,
  });
  const outcome = choiceGroup({ name: 'mediation-outcome', legend: rc.label(TYPE, 'outcome'), options: options('outcome'), selected: [values.outcome ?? 'ongoing'], testid: 'mediation-outcome' });
  const next = h('input', { id: 'mediation-next', type: 'date', testid: 'mediation-next', value: values.next_followup ?? '' });
  const errors = h('p', { class: 'notice notice-error', testid: 'mediation-errors', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary big', testid: 'mediation-save' }, t('visit.save'));
  const text = (/** @type {Element} */ input) => /** @type {HTMLInputElement} */ (input).value.trim() || null;

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    const householdId = before ? before.household : /** @type {HTMLSelectElement} */ (household).value;
    /** @type {Record<string, any>} */
    const fields = {
      parties: text(parties),
      summary: text(summary),
      mediators: mediators.read(),
      outcome: outcome.read(),
      next_followup: text(next),
    };
    const chosen = category.read();
    if (chosen) fields.category = chosen;
    if (!before) for (const name of Object.keys(fields)) if (fields[name] === null) delete fields[name];
    try {
      if (!householdId) throw new Error(t('visit.needHousehold'));
      save.setAttribute('disabled', '');
      const saved = await saveMediation(rc.declaration, { household: householdId, id: before?.id }, fields, { db: ctx.db });
      showToast(saved.made ? (navigator.onLine ? t('visit.saved') : t('visit.savedOffline')) : t('visit.noChanges'));
      ctx.changed();
      ctx.requestSync();
      ctx.navigate(`#/mediation/${saved.id}`);
    } catch (error) {
      if (!(error instanceof RecordCheckError)) console.error('lianhu: mediation not saved', error);
      errors.textContent = error instanceof Error ? error.message : String(error);
      errors.hidden = false;
      save.removeAttribute('disabled');
    }
  }

  const el = h(
    'section',
    { class: 'screen mediation-form-screen', testid: before ? 'mediation-edit-screen' : 'mediation-new-screen' },
    h('h1', null, t(before ? 'mediation.editTitle' : 'mediation.newTitle')),
    h('p', { class: 'notice notice-info' }, t('mediation.restrictedHint')),
    h(
      'form',
      { class: 'card form', testid: 'mediation-form', onsubmit: onSubmit, novalidate: true },
      h('label', { for: 'mediation-household' }, t('mediation.household')),
      household,
      category.el,
      h('label', { for: 'mediation-parties' }, rc.label(TYPE, 'parties')),
      parties,
      h('label', { for: 'mediation-summary' }, rc.label(TYPE, 'summary')),
      summary,
      mediators.el,
      outcome.el,
      h('label', { for: 'mediation-next' }, rc.label(TYPE, 'next_followup')),
      next,
      errors,
      h(
        'div',
        { class: 'actions sticky' },
        h('button', { type: 'button', class: 'secondary big', testid: 'mediation-cancel', onclick: () => history.back() }, t('visit.cancel')),
        save,
      ),
    ),
  );
  return { el };
}
