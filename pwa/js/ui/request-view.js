/**
 * One resident request 群众诉求 (#/requests/<id>): what is needed and for whom, where it stands in the loop
 * 收集 → 转办 → 答复 → 回访 with who and when, its next "123" limit or 已超期, 已办结 once the resident was
 * satisfied at the return visit, every step recorded so far, and the steps this member's role may record.
 */

import { formatTime, t } from '../i18n/index.js';
import { householdText, recordContext } from '../record-context.js';
import { recordView } from '../record-view.js';
import { availableSteps, recordStep, requestState, stageLabel, TYPE } from '../requests.js';
import { h, replaceChildren } from './dom.js';
import { entryLog } from './entry-log.js';
import { requestStages } from './request-stages.js';
import { requestStepForm } from './request-step-form.js';
import { showToast } from './toast.js';

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{id?: string}} route
 */
export async function requestView(ctx, { id = '' }) {
  const rc = await recordContext(ctx);
  const recordType = rc.declaration.types[TYPE];
  const body = h('div');
  const logHost = h('div');
  const actions = h('div', { class: 'step-actions' });
  const formHost = h('div');
  /** @type {string | null} */
  let open = null;

  /** @param {string} step */
  function showForm(step, /** @type {import('../record-view.js').RecordView} */ view) {
    open = step;
    replaceChildren(
      formHost,
      requestStepForm({
        step,
        recordType,
        rc,
        onSave: async (value) => {
          await recordStep(rc.declaration, view, value, { role: rc.member?.role, db: ctx.db });
          open = null;
          replaceChildren(formHost);
          showToast(navigator.onLine ? t('visit.saved') : t('visit.savedOffline'));
          ctx.changed();
          ctx.requestSync();
        },
      }),
    );
    formHost.querySelector('textarea, input, select')?.scrollIntoView({ block: 'center' });
  }

  async function refresh() {
    const state = await ctx.db.getRecord(id);
    if (!state || state.type !== TYPE) {
      replaceChildren(body, h('p', { class: 'empty', testid: 'request-not-found' }, t('requests.notFound')));
      replaceChildren(actions);
      replaceChildren(logHost);
      return;
    }
    const now = ctx.now();
    const view = recordView(state);
    const progress = requestState(recordType, view, now);
    const values = view.values;
    const text = (/** @type {string} */ field) => (values[field] ? rc.valueText(TYPE, field, values[field]) : '');
    const banner = progress.closed
      ? h('p', { class: 'request-banner tone-ok', testid: 'request-closed' }, t('requests.closed'))
      : h(
          'p',
          { class: `request-banner ${progress.due?.overdue ? 'tone-bad' : 'tone-warn'}`, testid: 'request-stage' },
          t('requests.stageNow', { stage: stageLabel(recordType, progress.stage, rc.lang) }),
        );
    replaceChildren(
      body,
      h(
        'div',
        { class: 'card request-card', testid: 'request-card', dataset: { stage: progress.stage, closed: String(progress.closed) } },
        h('div', { class: 'chips' }, h('span', { class: 'chip item' }, text('category')), values.urgency === 'urgent' && h('span', { class: 'chip urgent' }, text('urgency'))),
        h('p', { class: 'description', testid: 'request-description-text' }, values.description ?? ''),
        h('p', { class: 'household' }, householdText(rc.households.get(view.household), view.household)),
        values.contact && h('p', null, `${rc.label(TYPE, 'contact')}：${values.contact}`),
        h('p', { class: 'muted' }, `${rc.label(TYPE, 'source')}：${text('source')}`),
        values.visit && h('a', { class: 'link', href: `#/visits/${values.visit}`, testid: 'request-visit-link' }, t('requests.openVisit')),
      ),
      banner,
      requestStages({ recordType, state: progress, rc, now }),
    );
    replaceChildren(
      logHost,
      h('h2', null, rc.label(TYPE, 'steps')),
      entryLog({
        entries: view.logs.steps ?? [],
        describe: (entry) => describeStep(entry.value),
        nameOf: rc.nameOf,
        now,
        testid: 'request-log',
        empty: t('requests.noSteps', { time: formatTime(view.createdMs, now) }),
      }),
    );
    const steps = availableSteps(rc.declaration, recordType, view, rc.member?.role);
    replaceChildren(
      actions,
      steps.map((step) =>
        h(
          'button',
          { type: 'button', class: step === 'collect' ? 'secondary big' : 'primary big', testid: `step-${step}`, onclick: () => showForm(step, view) },
          t('requests.record', { step: stageLabel(recordType, step, rc.lang) }),
        ),
      ),
    );
    if (open && !steps.includes(open)) {
      open = null;
      replaceChildren(formHost);
    }
  }

  /** @param {any} value  a step entry */
  function describeStep(value) {
    const lines = [];
    if (value.to) lines.push(t('requests.toLine', { to: value.to }));
    if (value.to_member) lines.push(t('requests.toLine', { to: rc.nameOf(value.to_member) }));
    if (value.satisfaction) lines.push(`${t('requests.satisfaction')}：${rc.valueText(TYPE, 'steps', value.satisfaction)}`);
    if (value.notes) lines.push(value.notes);
    return { title: stageLabel(recordType, value.step, rc.lang), lines };
  }

  await refresh();
  const el = h('section', { class: 'screen request-view-screen', testid: 'request-view-screen', dataset: { id } }, h('h1', null, rc.label(TYPE)), body, actions, formHost, logHost);
  return { el, refresh };
}
