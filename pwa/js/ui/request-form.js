/**
 * Raise a resident's request 登记群众诉求 (#/requests/new?household=…&visit=…): category, what is needed, the
 * household, urgency, a contact, and where it came from — a visit (linked: `visit` = its id, `source` =
 * "visit", from the visit form's ＋ 记录诉求) or on its own (微心愿, 一键报事…). Its creation counts as 收集.
 */

import { t } from '../i18n/index.js';
import { householdText, recordContext } from '../record-context.js';
import { RecordCheckError } from '../records.js';
import { raiseRequest, TYPE } from '../requests.js';
import { sortHouseholds } from '../visits.js';
import { choiceGroup } from './choice-group.js';
import { h } from './dom.js';
import { showToast } from './toast.js';

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{household?: string, visit?: string}} route
 */
export async function requestForm(ctx, { household: preselected, visit }) {
  const rc = await recordContext(ctx);
  const spec = rc.declaration.types[TYPE];
  const options = (/** @type {string} */ field) =>
    spec.fields[field].schema.enum.filter((/** @type {any} */ code) => code !== null).map((/** @type {string} */ code) => ({ value: code, label: rc.valueText(TYPE, field, code) }));

  const fromVisit = Boolean(visit && preselected);
  const household = fromVisit
    ? h('p', { class: 'readonly', testid: 'request-household-text' }, householdText(rc.households.get(preselected ?? ''), preselected))
    : h(
        'select',
        { id: 'request-household', testid: 'request-household', required: true },
        h('option', { value: '' }, t('visit.chooseHousehold')),
        sortHouseholds([...rc.households.values()]).map((hh) => h('option', { value: hh.id, selected: hh.id === preselected }, householdText(hh))),
      );
  const category = choiceGroup({ name: 'request-category', legend: rc.label(TYPE, 'category'), options: options('category'), testid: 'request-category', columns: true });
  const description = h('textarea', { id: 'request-description', testid: 'request-description', rows: 4, maxlength: 2000, placeholder: t('requests.descriptionPlaceholder') });
  const urgency = choiceGroup({ name: 'request-urgency', legend: rc.label(TYPE, 'urgency'), options: options('urgency'), selected: ['normal'], testid: 'request-urgency', columns: true });
  const source = fromVisit
    ? null
    : choiceGroup({ name: 'request-source', legend: rc.label(TYPE, 'source'), options: options('source').filter((o) => o.value !== 'visit'), selected: ['other'], testid: 'request-source', columns: true });
  const contact = h('input', { id: 'request-contact', testid: 'request-contact', maxlength: 100, placeholder: t('requests.contactPlaceholder') });
  const errors = h('p', { class: 'notice notice-error', testid: 'request-errors', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary big', testid: 'request-save' }, t('visit.save'));

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    const householdId = fromVisit ? /** @type {string} */ (preselected) : /** @type {HTMLSelectElement} */ (household).value;
    /** @type {Record<string, any>} */
    const fields = {
      description: /** @type {HTMLTextAreaElement} */ (description).value.trim(),
      urgency: urgency.read() ?? 'normal',
      source: fromVisit ? 'visit' : (source?.read() ?? 'other'),
    };
    const chosen = category.read();
    if (chosen) fields.category = chosen;
    if (fromVisit) fields.visit = visit;
    const phone = /** @type {HTMLInputElement} */ (contact).value.trim();
    if (phone) fields.contact = phone;
    try {
      if (!householdId) throw new Error(t('visit.needHousehold'));
      save.setAttribute('disabled', '');
      const id = await raiseRequest(rc.declaration, { household: householdId, fields }, { db: ctx.db });
      showToast(navigator.onLine ? t('visit.saved') : t('visit.savedOffline'));
      ctx.changed();
      ctx.requestSync();
      ctx.navigate(`#/requests/${id}`);
    } catch (error) {
      if (!(error instanceof RecordCheckError)) console.error('lianhu: request not saved', error);
      errors.textContent = error instanceof Error ? error.message : String(error);
      errors.hidden = false;
      save.removeAttribute('disabled');
    }
  }

  const el = h(
    'section',
    { class: 'screen request-form-screen', testid: 'request-new-screen' },
    h('h1', null, t('requests.newTitle')),
    fromVisit && h('p', { class: 'notice notice-info', testid: 'request-from-visit' }, t('requests.fromVisit')),
    h(
      'form',
      { class: 'card form', testid: 'request-form', onsubmit: onSubmit, novalidate: true },
      h('label', { for: 'request-household' }, t('visit.household')),
      household,
      category.el,
      h('label', { for: 'request-description' }, rc.label(TYPE, 'description')),
      description,
      urgency.el,
      source?.el,
      h('label', { for: 'request-contact' }, rc.label(TYPE, 'contact')),
      contact,
      errors,
      h(
        'div',
        { class: 'actions sticky' },
        h('button', { type: 'button', class: 'secondary big', testid: 'request-cancel', onclick: () => history.back() }, t('visit.cancel')),
        save,
      ),
    ),
  );
  return { el };
}
