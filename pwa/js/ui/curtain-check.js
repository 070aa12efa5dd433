/**
 * One household's curtain check of a day (#/curtain/<household>?date=YYYY-MM-DD, today by default): the
 * resident's phone numbers (tap to call, the first rung), the check's state, the one tap 窗帘已拉开 / 见到本人,
 * the escalation so far — steps recorded by any member on any phone, merged into the one record whose id
 * is derived from (household, date) — a form for the next step, and closing with an outcome.
 */

import { t } from '../i18n/index.js';
import { addEscalation, closeCheck, curtainRound, TYPE } from '../curtain.js';
import { derivedRecordId } from '../record-types.js';
import { recordContext } from '../record-context.js';
import { localTime, recordView } from '../record-view.js';
import { localDate } from '../visits.js';
import { choiceGroup } from './choice-group.js';
import { h, replaceChildren } from './dom.js';
import { entryLog } from './entry-log.js';
import { escalationForm } from './escalation-form.js';
import { showToast } from './toast.js';

const OUTCOMES = ['seen', 'reached', 'away', 'emergency', 'other'];

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{household?: string, date?: string}} route
 */
export async function curtainCheckScreen(ctx, { household: householdId = '', date }) {
  const rc = await recordContext(ctx);
  const day = date ?? localDate(ctx.now());
  const household = rc.households.get(householdId);
  if (!household) {
    return { el: h('section', { class: 'screen' }, h('p', { class: 'empty', testid: 'curtain-not-found' }, t('curtain.notFound'))) };
  }
  const id = await derivedRecordId(TYPE, [householdId, day]);
  const deps = { declaration: rc.declaration, db: ctx.db, now: ctx.now };
  const text = (/** @type {string} */ code) => rc.valueText(TYPE, 'escalation', code);

  /** @param {() => Promise<unknown>} write @param {string} done */
  async function act(write, done) {
    await write();
    showToast(navigator.onLine ? done : t('visit.savedOffline'));
    ctx.changed(); // redraws this screen (refresh) and the header
    ctx.requestSync();
  }

  const statusHost = h('div');
  const logHost = h('div');
  const formHost = h('div');
  const seen = h(
    'button',
    {
      type: 'button',
      class: 'primary big seen',
      testid: 'curtain-check-seen',
      onclick: () => act(() => closeCheck(householdId, { outcome: 'seen', date: day }, deps), t('curtain.closed')),
    },
    rc.valueText(TYPE, 'outcome', 'seen'),
  );
  const outcome = choiceGroup({
    name: 'curtain-outcome',
    legend: rc.label(TYPE, 'outcome'),
    options: OUTCOMES.map((code) => ({ value: code, label: rc.valueText(TYPE, 'outcome', code) })),
    testid: 'curtain-outcome',
  });
  const closeNotes = h('textarea', { id: 'curtain-notes', testid: 'curtain-notes', rows: 3, maxlength: 2000 });
  const closeErrors = h('p', { class: 'notice notice-error', testid: 'curtain-close-errors', role: 'alert', hidden: true });
  const closeForm = h(
    'form',
    { class: 'card form close-form', testid: 'curtain-close-form', onsubmit: onClose, novalidate: true },
    h('h2', null, t('curtain.closeTitle')),
    outcome.el,
    h('label', { for: 'curtain-notes' }, rc.label(TYPE, 'notes')),
    closeNotes,
    closeErrors,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary big', testid: 'curtain-close' }, t('curtain.close'))),
  );

  /** @param {SubmitEvent} event */
  async function onClose(event) {
    event.preventDefault();
    const chosen = outcome.read();
    try {
      if (!chosen) throw new Error(t('records.required', { field: rc.label(TYPE, 'outcome') }));
      const notes = /** @type {HTMLTextAreaElement} */ (closeNotes).value.trim() || null;
      await act(() => closeCheck(householdId, { outcome: chosen, notes, date: day }, deps), t('curtain.closed'));
    } catch (error) {
      closeErrors.textContent = error instanceof Error ? error.message : String(error);
      closeErrors.hidden = false;
    }
  }

  /** @type {string | null | undefined} the next rung the step form was drawn for (undefined: none drawn) */
  let formFor;
  const el = h(
    'section',
    { class: 'screen curtain-check-screen', testid: 'curtain-check-screen', dataset: { record: id } },
    h('h1', null, `${rc.label(TYPE)} · ${day}`),
    statusHost,
    seen,
    h('h2', null, rc.label(TYPE, 'escalation')),
    logHost,
    formHost,
    closeForm,
  );

  /** Redraws what a save here or a sync may have changed; forms being filled in are left alone. */
  async function refresh() {
    const now = ctx.now();
    const state = await ctx.db.getRecord(id);
    const check = state ? recordView(state) : null;
    const [item] = curtainRound({ households: [{ ...household, curtain_round: true }], checks: check ? [check] : [], me: rc.member?.id, rules: rc.rules, now });
    const closed = item.state === 'closed';
    const tone = item.overdue ? 'overdue' : item.state;
    Object.assign(el.dataset, { state: item.state, overdue: String(item.overdue) });
    replaceChildren(
      statusHost,
      h(
        'div',
        { class: `card curtain-household state-${tone}` },
        h('p', { class: 'address' }, household.address),
        h('p', { class: 'head' }, household.head),
        household.phone && h('a', { class: 'button secondary call', href: `tel:${household.phone}`, testid: 'curtain-call' }, t('curtain.call', { phone: household.phone })),
        household.emergency_contact && h('p', { class: 'muted' }, t('curtain.emergencyContact', { contact: household.emergency_contact })),
        h(
          'p',
          { class: `curtain-state tone-${tone}`, testid: 'curtain-check-state' },
          closed ? `${rc.valueText(TYPE, 'outcome', check?.values.outcome)} · ${check?.values.checked_at ?? ''}` : t(item.overdue ? 'curtain.overdue' : `curtain.${item.state}`),
        ),
        closed && h('p', { class: 'author' }, t('curtain.closedBy', { name: rc.nameOf(check?.by.outcome ?? null) })),
        !closed && day === localDate(now) && h('p', { class: 'muted' }, t('curtain.deadline', { time: item.deadline })),
        check?.values.notes && h('p', { class: 'notes' }, check.values.notes),
      ),
    );
    replaceChildren(
      logHost,
      entryLog({
        entries: check?.logs.escalation ?? [],
        describe: (entry) => ({ title: `${entry.value.time} ${text(entry.value.step)} · ${text(entry.value.result)}`, lines: [entry.value.notes ?? ''] }),
        nameOf: rc.nameOf,
        now,
        testid: 'escalation-log',
        empty: t('curtain.noSteps'),
      }),
    );
    seen.hidden = closed;
    closeForm.hidden = closed;
    if (closed) replaceChildren(formHost);
    else if (formFor === undefined || (formFor !== item.nextStep && !formHost.contains(document.activeElement))) {
      formFor = item.nextStep;
      replaceChildren(
        formHost,
        escalationForm({
          rc,
          nextStep: item.nextStep,
          time: localTime(now),
          onSave: (step) => {
            // A saved step gets a fresh form (the next rung preselected) on the redraw that follows.
            /** @type {HTMLElement | null} */ (document.activeElement)?.blur();
            formFor = undefined;
            return act(() => addEscalation(householdId, { ...step, date: day }, deps), t('curtain.stepSaved'));
          },
        }),
      );
    }
  }

  await refresh();
  return { el, refresh };
}
