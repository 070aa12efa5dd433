/**
 * Record a home visit 记录走访, or edit one: household, date, 未遇 (nobody home), the four items, notes,
 * co-visitors, a request summary, and ＋ 记录诉求, which saves the visit and opens a request linked to it.
 * Saving never needs the network: records.js checks the fields against the declaration, the op goes to
 * the outbox and the record changes on this phone at once. An edit sends only the fields it changed.
 */

import { rejectionReason, t } from '../i18n/index.js';
import { recordContext } from '../record-context.js';
import { RecordCheckError, saveRecord } from '../records.js';
import { editFields, formFields, localDate, sortHouseholds, syncStatus, validateForm, VISIT_ITEMS, visitView } from '../visits.js';
import { colleaguePicker } from './colleague-picker.js';
import { h } from './dom.js';
import { showToast } from './toast.js';

/** Offline, say when it will go out; online, the sync that follows the save shows the rest. */
function savedMessage() {
  return navigator.onLine ? t('visit.saved') : t('visit.savedOffline');
}

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{id?: string, household?: string}} params  id: edit that visit; household: pre-select it
 */
export async function visitForm(ctx, { id, household: preselected }) {
  const { db } = ctx;
  const [rc, households, state, outbox] = await Promise.all([
    recordContext(ctx),
    db.listHouseholds(),
    id ? db.getRecord(id) : Promise.resolve(null),
    id ? db.listOutbox() : Promise.resolve([]),
  ]);
  if (id && !state) {
    return { el: h('section', { class: 'screen' }, h('p', { class: 'empty', testid: 'visit-not-found' }, t('visit.notFound'))) };
  }
  const before = state ? visitView(state) : null;
  const status = syncStatus(outbox.filter((entry) => entry.op.record === id));
  const householdById = new Map(households.map((hh) => [hh.id, hh]));

  /** @param {any} hh */
  const householdText = (hh) => (hh ? `${hh.address} · ${hh.head}` : '');
  const householdField = before
    ? h('p', { class: 'readonly', testid: 'visit-household-text' }, householdText(householdById.get(before.household)) || before.household)
    : h(
        'select',
        { id: 'visit-household', testid: 'visit-household', required: true },
        h('option', { value: '' }, t('visit.chooseHousehold')),
        sortHouseholds(households).map((hh) =>
          h('option', { value: hh.id, selected: hh.id === preselected }, householdText(hh)),
        ),
      );
  const date = h('input', {
    id: 'visit-date',
    type: 'date',
    testid: 'visit-date',
    required: true,
    value: before?.date ?? localDate(ctx.now()),
    max: localDate(ctx.now()),
  });
  const items = VISIT_ITEMS.map((item) =>
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'checkbox', value: item, testid: `visit-item-${item}`, checked: before?.items.includes(item) ?? false }),
      h('span', null, t(`items.${item}`)),
    ),
  );
  const notHome = h(
    'label',
    { class: 'check not-home-check' },
    h('input', { type: 'checkbox', testid: 'visit-not-home', checked: before?.notHome ?? false }),
    h('span', null, rc.label('visit', 'not_home')),
  );
  const coVisitors = colleaguePicker({
    legend: rc.label('visit', 'co_visitors'),
    colleagues: rc.colleagues,
    selected: before?.coVisitors ?? [],
    exclude: rc.member ? [rc.member.id] : [],
    testid: 'visit-co-visitors',
    nameOf: rc.nameOf,
    folded: true,
  });
  const notes = h('textarea', {
    id: 'visit-notes',
    testid: 'visit-notes',
    rows: 5,
    maxlength: 5000,
    placeholder: t('visit.notesPlaceholder'),
    value: before?.notes ?? '',
  });
  const request = h('textarea', {
    id: 'visit-request',
    testid: 'visit-request',
    rows: 3,
    maxlength: 2000,
    placeholder: t('visit.requestPlaceholder'),
    value: before?.request ?? '',
  });
  const errors = h('p', { class: 'notice notice-error', testid: 'visit-errors', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary big', testid: 'visit-save' }, t('visit.save'));

  function readForm() {
    return {
      household: before ? before.household : /** @type {HTMLSelectElement} */ (householdField).value,
      date: /** @type {HTMLInputElement} */ (date).value,
      items: items
        .map((label) => /** @type {HTMLInputElement} */ (label.querySelector('input')))
        .filter((box) => box.checked)
        .map((box) => box.value),
      notes: /** @type {HTMLTextAreaElement} */ (notes).value,
      request: /** @type {HTMLTextAreaElement} */ (request).value,
      notHome: /** @type {HTMLInputElement} */ (notHome.querySelector('input')).checked,
      coVisitors: coVisitors.read(),
    };
  }

  /**
   * Saves the visit, then goes on to the records list, or with `thenRequest` to a new request linked to it.
   * @param {boolean} thenRequest
   */
  async function submit(thenRequest) {
    const form = readForm();
    const problems = validateForm(form);
    errors.hidden = problems.length === 0;
    errors.textContent = problems.map((key) => t(key)).join('；');
    if (problems.length > 0) return;
    save.setAttribute('disabled', '');
    try {
      // A new visit is one `set` op with every field it has (docs §3.4); an edit, only what changed.
      const fields = before ? editFields(form) : formFields(form);
      const target = { type: 'visit', household: form.household, ...(before ? { id: before.id } : {}) };
      const { id: saved, made } = await saveRecord(rc.declaration, target, fields, { db });
      showToast(made ? savedMessage() : t('visit.noChanges'));
      ctx.changed();
      ctx.requestSync();
      const link = `#/requests/new?household=${encodeURIComponent(form.household)}&visit=${saved}`;
      ctx.navigate(thenRequest ? link : '#/visits');
    } catch (error) {
      if (!(error instanceof RecordCheckError)) console.error('lianhu: save failed', error);
      errors.textContent =
        error instanceof RecordCheckError
          ? error.message
          : t('error.unknown', { message: String(/** @type {any} */ (error)?.message ?? error) });
      errors.hidden = false;
      save.removeAttribute('disabled');
    }
  }

  /** @param {SubmitEvent} event */
  function onSubmit(event) {
    event.preventDefault();
    submit(false);
  }

  const el = h(
    'section',
    { class: 'screen visit-form-screen', testid: before ? 'visit-edit-screen' : 'visit-new-screen' },
    h('h1', null, t(before ? 'visit.editTitle' : 'visit.newTitle')),
    status.status === 'rejected' &&
      h('p', { class: 'notice notice-error', testid: 'visit-form-rejection' }, `${t('status.rejected')}：${rejectionReason(status)}`),
    !navigator.onLine && h('p', { class: 'notice notice-info' }, t('visit.offlineHint')),
    h(
      'form',
      { class: 'card form', testid: 'visit-form', onsubmit: onSubmit, novalidate: true },
      h('label', { for: 'visit-household' }, t('visit.household')),
      householdField,
      h('label', { for: 'visit-date' }, t('visit.date')),
      date,
      notHome,
      h('fieldset', { class: 'items' }, h('legend', null, t('visit.items')), items),
      h('label', { for: 'visit-notes' }, t('visit.notes')),
      notes,
      coVisitors.el,
      h('label', { for: 'visit-request' }, rc.label('visit', 'request')),
      request,
      h(
        'button',
        { type: 'button', class: 'secondary big add-request', testid: 'visit-add-request', onclick: () => submit(true) },
        t('visits.addRequest'),
      ),
      h('p', { class: 'muted hint' }, t('visits.addRequestHint')),
      errors,
      h(
        'div',
        { class: 'actions sticky' },
        h('button', { type: 'button', class: 'secondary big', testid: 'visit-cancel', onclick: () => history.back() }, t('visit.cancel')),
        save,
      ),
    ),
  );
  return { el };
}
