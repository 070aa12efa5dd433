/**
 * One mediation 矛盾调解 (#/mediation/<id>): category, parties, summary, mediators, outcome, the next
 * follow-up (highlighted when due), its sessions and follow-ups as append-only logs — a note written on two
 * phones at once keeps both — and a form to add each. Restricted: a member who may not read it gets the same
 * "not found" as for a record that does not exist.
 */

import { t } from '../i18n/index.js';
import { addMediationEntry, TYPE } from '../mediation.js';
import { householdText, recordContext } from '../record-context.js';
import { mayRead, recordView } from '../record-view.js';
import { localDate } from '../visits.js';
import { h, replaceChildren } from './dom.js';
import { entryLog } from './entry-log.js';
import { logEntryForm } from './log-entry-form.js';
import { showToast } from './toast.js';

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{id?: string}} route
 */
export async function mediationView(ctx, { id = '' }) {
  const rc = await recordContext(ctx);
  const details = h('div');
  const sessions = h('div');
  const followups = h('div');
  /** @type {import('../record-view.js').RecordView | null} */
  let view = null;

  /** @param {'sessions' | 'followups'} log */
  const add = (log) => async (/** @type {{date: string, notes: string}} */ entry) => {
    if (!view) return;
    await addMediationEntry(rc.declaration, view, log, entry, { db: ctx.db });
    showToast(navigator.onLine ? t('visit.saved') : t('visit.savedOffline'));
    ctx.changed();
    ctx.requestSync();
  };
  const today = localDate(ctx.now());
  const forms = [
    logEntryForm({ title: t('mediation.addSession'), testid: 'session-form', today, onSave: add('sessions') }),
    logEntryForm({ title: t('mediation.addFollowup'), testid: 'followup-form', today, onSave: add('followups') }),
  ];

  async function refresh() {
    const state = await ctx.db.getRecord(id);
    const found = state && state.type === TYPE ? recordView(state) : null;
    view = found && !found.deleted && mayRead(rc.declaration, found, rc.member) ? found : null;
    for (const form of forms) form.hidden = view === null;
    if (!view) {
      replaceChildren(details, h('p', { class: 'empty', testid: 'mediation-not-found' }, t('mediation.notFound')));
      replaceChildren(sessions);
      replaceChildren(followups);
      return;
    }
    const values = view.values;
    const now = ctx.now();
    const due = typeof values.next_followup === 'string' && values.next_followup <= localDate(now);
    const row = (/** @type {string} */ field, /** @type {string} */ value, /** @type {string} */ testid) =>
      value && h('div', { class: 'kv' }, h('dt', null, rc.label(TYPE, field)), h('dd', { testid }, value));
    replaceChildren(
      details,
      h(
        'div',
        { class: 'card', testid: 'mediation-card' },
        h('div', { class: 'row' }, h('span', { class: 'chip item' }, values.category ? rc.valueText(TYPE, 'category', values.category) : ''), h('a', { class: 'button secondary', href: `#/mediation/${id}/edit`, testid: 'mediation-edit' }, t('mediation.edit'))),
        h('p', { class: 'household' }, householdText(rc.households.get(view.household), view.household)),
        h(
          'dl',
          { class: 'kv-list' },
          row('parties', values.parties ?? '', 'mediation-parties-text'),
          row('summary', values.summary ?? '', 'mediation-summary-text'),
          row('mediators', (values.mediators ?? []).map((/** @type {number} */ m) => rc.nameOf(m)).join('、'), 'mediation-mediators-text'),
          row('outcome', values.outcome ? rc.valueText(TYPE, 'outcome', values.outcome) : '', 'mediation-outcome-text'),
          row('next_followup', values.next_followup ?? '', 'mediation-next-text'),
        ),
        due && h('p', { class: 'notice notice-warn', testid: 'mediation-due' }, t('mediation.followupDue', { date: values.next_followup })),
      ),
    );
    const describe = (/** @type {import('../record-view.js').LogEntry} */ entry) => ({ title: entry.value.date, lines: [entry.value.notes] });
    replaceChildren(
      sessions,
      h('h2', null, rc.label(TYPE, 'sessions')),
      entryLog({ entries: view.logs.sessions ?? [], describe, nameOf: rc.nameOf, now, testid: 'session-log', empty: t('mediation.noSessions') }),
    );
    replaceChildren(
      followups,
      h('h2', null, rc.label(TYPE, 'followups')),
      entryLog({ entries: view.logs.followups ?? [], describe, nameOf: rc.nameOf, now, testid: 'followup-log', empty: t('mediation.noFollowups') }),
    );
  }

  await refresh();
  const el = h('section', { class: 'screen mediation-view-screen', testid: 'mediation-view-screen', dataset: { id } }, h('h1', null, rc.label(TYPE)), details, sessions, forms[0], followups, forms[1]);
  return { el, refresh };
}
