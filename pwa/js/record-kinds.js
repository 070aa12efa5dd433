/**
 * The record types the app has screens for, and how a list shows each: where tapping a record leads, where
 * a new one is made, and its one-line summary. Adding a type to the phone = its declaration + an entry
 * here (+ its screen, + its due-list rule). The order is the records tab's filter order.
 */

import { t } from './i18n/index.js';
import { requestState, stageLabel } from './requests.js';

/**
 * @typedef {object} Kind
 * @property {(view: import('./record-view.js').RecordView) => string} href
 * @property {string | null} newHref   null: not made from the records tab (curtain checks come from the round)
 * @property {(view: import('./record-view.js').RecordView, rc: import('./record-context.js').RecordContext, now: number) =>
 *            {title: string, lines: string[], flag?: {text: string, tone: 'ok' | 'warn' | 'bad'}}} summary
 */

/** @type {Record<string, Kind>} */
export const KINDS = {
  visit: {
    href: (view) => `#/visits/${view.id}`,
    newHref: '#/visits/new',
    summary: (view, rc) => ({ title: rc.label('visit'), lines: [view.values.notes ?? ''] }),
  },
  curtain_check: {
    href: (view) => `#/curtain/${encodeURIComponent(view.household)}?date=${view.values.date}`,
    newHref: null,
    summary: (view, rc) => {
      const outcome = view.values.outcome;
      const steps = view.logs.escalation ?? [];
      const last = steps.at(-1)?.value;
      return {
        title: rc.label('curtain_check'),
        lines: [
          last ? t('curtain.lastStep', { step: rc.valueText('curtain_check', 'escalation', last.step), result: rc.valueText('curtain_check', 'escalation', last.result) }) : '',
          view.values.notes ?? '',
        ],
        flag: outcome
          ? { text: `${rc.valueText('curtain_check', 'outcome', outcome)} ${view.values.checked_at ?? ''}`.trim(), tone: outcome === 'emergency' ? 'bad' : 'ok' }
          : { text: t(steps.length ? 'curtain.escalating' : 'curtain.open'), tone: 'warn' },
      };
    },
  },
  request: {
    href: (view) => `#/requests/${view.id}`,
    newHref: '#/requests/new',
    summary: (view, rc, now) => {
      const recordType = rc.declaration.types.request;
      const state = requestState(recordType, view, now);
      const category = view.values.category ? rc.valueText('request', 'category', view.values.category) : '';
      const urgent = view.values.urgency === 'urgent' ? ` · ${rc.valueText('request', 'urgency', 'urgent')}` : '';
      /** @type {{text: string, tone: 'ok' | 'warn' | 'bad'}} */
      let flag = { text: stageLabel(recordType, state.stage, rc.lang), tone: 'warn' };
      if (state.closed) flag = { text: t('requests.closed'), tone: 'ok' };
      else if (state.due?.overdue) flag = { text: t('requests.overdueShort', { stage: stageLabel(recordType, state.due.stage, rc.lang) }), tone: 'bad' };
      return { title: `${rc.label('request')} · ${category}${urgent}`, lines: [view.values.description ?? ''], flag };
    },
  },
  mediation: {
    href: (view) => `#/mediation/${view.id}`,
    newHref: '#/mediation/new',
    summary: (view, rc) => {
      const outcome = view.values.outcome;
      return {
        title: `${rc.label('mediation')} · ${view.values.category ? rc.valueText('mediation', 'category', view.values.category) : ''}`,
        lines: [
          view.values.parties ? t('mediation.partiesLine', { parties: view.values.parties }) : '',
          view.values.next_followup ? t('mediation.nextLine', { date: view.values.next_followup }) : '',
        ],
        flag: outcome ? { text: rc.valueText('mediation', 'outcome', outcome), tone: outcome === 'agreed' ? 'ok' : 'warn' } : undefined,
      };
    },
  },
};
