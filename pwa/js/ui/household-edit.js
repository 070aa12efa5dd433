/**
 * Correct a household's facts at the door 修改住户信息 (#/households/ID/edit): head, phone, residents, tags,
 * the 三要有 dates, health, income, emergency contact (a change to the sheet's contents dates the sheet
 * today unless the member dated it). Saving works offline: one `set` op on the household's
 * own record (its id derived from the household, docs/sync-protocol.md §3.5) with only the fields that
 * changed, so a colleague's correction of another field survives the merge. Fields the declaration
 * reserves for leaders (care level, curtain round, linked members) are shown read-only to a member; a
 * grid leader may set the care level and the curtain round here.
 */

import { getLang, t } from '../i18n/index.js';
import { householdChanges, overlayHousehold, residentsFromForm, TAGS, textOrNull, withSheetDate } from '../households.js';
import { writeOp } from '../outbox.js';
import { recordContext } from '../record-context.js';
import { derivedRecordId, labelOf, roleMay, schemaProblem } from '../record-types.js';
import { localClock } from '../today.js';
import { h } from './dom.js';
import { careBadge, tagLabel } from './household-card.js';
import { showToast } from './toast.js';

const CARE = ['green', 'blue', 'yellow', 'orange'];

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{id?: string}} route
 */
export async function householdEdit(ctx, { id = '' }) {
  const [rc, rows, states] = await Promise.all([recordContext(ctx), ctx.db.listHouseholds(), ctx.db.listRecords('household')]);
  const row = rows.find((r) => r.id === id);
  if (!row) {
    return { el: h('section', { class: 'screen' }, h('p', { class: 'notice notice-warn', testid: 'household-not-found' }, t('household.notFound'))) };
  }
  const before = overlayHousehold(row, states.find((s) => s.household === id));
  const fields = rc.declaration.types.household.fields;
  const role = rc.member?.role ?? 'member';
  const writable = (/** @type {string} */ name) => name !== 'covered_by' && roleMay(rc.declaration, fields[name], role);
  const label = (/** @type {string} */ name) => labelOf(fields[name], getLang(), name);

  /** @param {string} name @param {Record<string, any>} props */
  const input = (name, props) => h('input', { id: `he-${name}`, testid: `he-${name}`, ...props });
  const head = input('head', { value: before.head ?? '', maxlength: 64, required: true, autocomplete: 'off' });
  const phone = input('phone', { type: 'tel', value: before.phone ?? '', maxlength: 32, inputmode: 'tel', autocomplete: 'off' });
  const contactCard = input('contact_card', { type: 'date', value: before.contact_card ?? '' });
  const infoSheet = input('info_sheet', { type: 'date', value: before.info_sheet ?? '' });
  const emergency = input('emergency_contact', { value: before.emergency_contact ?? '', maxlength: 100 });
  const health = h('textarea', { id: 'he-health', testid: 'he-health', rows: 3, maxlength: 1000, value: before.health ?? '' });
  const income = h(
    'select',
    { id: 'he-income', testid: 'he-income' },
    h('option', { value: '' }, t('householdEdit.incomeNone')),
    Object.keys(fields.income.values).map((code) =>
      h('option', { value: code, selected: before.income === code }, rc.valueText('household', 'income', code)),
    ),
  );
  const tags = TAGS.map((tag) =>
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'checkbox', value: tag, testid: `he-tag-${tag}`, checked: (before.tags ?? []).includes(tag) }),
      h('span', null, tagLabel(tag)),
    ),
  );
  const residents = h('div', { class: 'residents-edit', testid: 'he-residents' });
  for (const resident of before.residents ?? []) residents.append(residentRow(resident));
  const addResident = h(
    'button',
    { type: 'button', class: 'secondary big', testid: 'he-resident-add', onclick: () => residents.append(residentRow({ name: '' }, true)) },
    t('householdEdit.addResident'),
  );
  const care = writable('care_level')
    ? h('select', { id: 'he-care_level', testid: 'he-care_level' }, CARE.map((c) => h('option', { value: c, selected: (before.care_level ?? 'green') === c }, t(`care.${c}`))))
    : null;
  const round = writable('curtain_round')
    ? h('input', { type: 'checkbox', testid: 'he-curtain_round', checked: before.curtain_round === true })
    : null;
  const errors = h('p', { class: 'notice notice-error', testid: 'he-errors', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary big', testid: 'he-save' }, t('visit.save'));

  /** @returns {Record<string, any>} */
  function readForm() {
    const value = (/** @type {Element} */ el) => /** @type {HTMLInputElement} */ (el).value;
    /** @type {Record<string, any>} */
    const form = {
      head: value(head).trim(),
      phone: textOrNull(value(phone)),
      residents: residentsFromForm(
        [...residents.querySelectorAll('.resident')].map((el) => ({
          name: value(/** @type {Element} */ (el.querySelector('[data-key=name]'))),
          relation: value(/** @type {Element} */ (el.querySelector('[data-key=relation]'))),
          birth_year: value(/** @type {Element} */ (el.querySelector('[data-key=birth_year]'))),
          notes: /** @type {HTMLElement} */ (el).dataset.notes ?? '',
        })),
      ),
      tags: tags.map((l) => /** @type {HTMLInputElement} */ (l.querySelector('input'))).filter((box) => box.checked).map((box) => box.value),
      contact_card: value(contactCard) || null,
      info_sheet: value(infoSheet) || null,
      health: textOrNull(value(health)),
      income: value(income) || null,
      emergency_contact: textOrNull(value(emergency)),
    };
    if (care) form.care_level = value(care);
    if (round) form.curtain_round = /** @type {HTMLInputElement} */ (round).checked;
    return form;
  }

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    const changes = withSheetDate(householdChanges(before, readForm(), writable), localClock(ctx.now()).date, writable);
    const problems = Object.entries(changes)
      .filter(([name, value]) => schemaProblem(fields[name].schema, value) !== null)
      .map(([name]) => (name === 'head' ? t('householdEdit.needHead') : t('householdEdit.invalid', { field: label(name) })));
    errors.hidden = problems.length === 0;
    errors.textContent = problems.join('；');
    if (problems.length > 0) return;
    const page = `#/households/${encodeURIComponent(id)}`;
    if (Object.keys(changes).length === 0) {
      showToast(t('visit.noChanges'));
      ctx.navigate(page);
      return;
    }
    save.setAttribute('disabled', '');
    try {
      const record = await derivedRecordId('household', [id]);
      await writeOp({ record, type: 'household', household: id, kind: 'set', fields: changes }, { db: ctx.db });
      showToast(navigator.onLine ? t('visit.saved') : t('visit.savedOffline'));
      ctx.changed();
      ctx.requestSync();
      ctx.navigate(page);
    } catch (error) {
      console.error('lianhu: household correction failed', error);
      errors.textContent = t('error.unknown', { message: String(/** @type {any} */ (error)?.message ?? error) });
      errors.hidden = false;
      save.removeAttribute('disabled');
    }
  }

  /** @param {string} name @param {HTMLElement} control */
  const field = (name, control) => [h('label', { for: `he-${name}` }, label(name)), control];
  const readonly = [
    !care && [t('household.care'), careBadge(before)],
    !round && [t('household.curtainRound'), t(before.curtain_round ? 'household.onRound' : 'household.notOnRound')],
    [t('household.linked'), (before.covered_by ?? []).map((/** @type {number} */ m) => rc.nameOf(m)).join('、') || t('household.none')],
  ].filter((item) => Array.isArray(item));

  const el = h(
    'section',
    { class: 'screen household-edit-screen', testid: 'household-edit-screen' },
    h('h1', null, t('householdEdit.title')),
    h('p', { class: 'muted' }, before.address),
    h(
      'form',
      { class: 'card form', testid: 'household-edit-form', onsubmit: onSubmit, novalidate: true },
      field('head', head),
      field('phone', phone),
      h('fieldset', { class: 'items' }, h('legend', null, label('residents')), residents, addResident),
      h('fieldset', { class: 'items' }, h('legend', null, label('tags')), tags),
      field('contact_card', contactCard),
      field('info_sheet', infoSheet),
      field('health', health),
      field('income', income),
      field('emergency_contact', emergency),
      care && field('care_level', care),
      round && h('label', { class: 'check' }, round, h('span', null, label('curtain_round'))),
      readonly.length > 0 &&
        h(
          'div',
          { class: 'readonly-facts', testid: 'he-readonly' },
          h('p', null, t('householdEdit.leadersOnly')),
          h('dl', { class: 'kv-list' }, readonly.map((item) => item && h('div', { class: 'kv' }, h('dt', null, item[0]), h('dd', null, item[1])))),
        ),
      errors,
      h(
        'div',
        { class: 'actions sticky' },
        h('button', { type: 'button', class: 'secondary big', testid: 'he-cancel', onclick: () => history.back() }, t('visit.cancel')),
        save,
      ),
    ),
  );
  return { el };
}

/**
 * One resident's inputs: name, relation, year of birth, and a button that removes the row. Notes, which
 * this form does not edit, ride along on the row.
 * @param {{name: string, relation?: string, birth_year?: number, notes?: string}} resident
 * @param {boolean} [focus]
 */
function residentRow(resident, focus = false) {
  /** @param {string} key @param {string} text @param {Record<string, any>} props */
  const part = (key, text, props) =>
    h('label', { class: `resident-${key}` }, h('span', null, text), h('input', { dataset: { key }, testid: `he-resident-${key}`, ...props }));
  const row = h(
    'div',
    { class: 'resident', testid: 'he-resident', dataset: { notes: resident.notes ?? '' } },
    part('name', t('householdEdit.residentName'), { value: resident.name, maxlength: 64 }),
    h(
      'div',
      { class: 'resident-more' },
      part('relation', t('householdEdit.relation'), { value: resident.relation ?? '', maxlength: 32 }),
      part('birth_year', t('householdEdit.birthYear'), { value: resident.birth_year ?? '', inputmode: 'numeric', maxlength: 4 }),
    ),
    h('button', { type: 'button', class: 'danger', testid: 'he-resident-remove', onclick: () => row.remove() }, t('householdEdit.removeResident')),
  );
  if (focus) queueMicrotask(() => /** @type {HTMLInputElement | null} */ (row.querySelector('input'))?.focus());
  return row;
}
