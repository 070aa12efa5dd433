/**
 * The closed loop of a request, 收集 → 转办 → 答复 → 回访, as a vertical list: each stage reached says who and
 * when; the stage the request waits for says its "123" limit, or that it is past it (已超期).
 */

import { formatTime, t } from '../i18n/index.js';
import { stageLabel } from '../requests.js';
import { h } from './dom.js';

/**
 * @param {{recordType: any, state: import('../requests.js').RequestState, rc: import('../record-context.js').RecordContext, now: number}} props
 */
export function requestStages({ recordType, state, rc, now }) {
  return h(
    'ol',
    { class: 'stages', testid: 'request-stages', dataset: { stage: state.stage, closed: String(state.closed) } },
    state.stages.map(({ stage, at, by }) => {
      const reached = at !== null;
      const waiting = !reached && state.due?.stage === stage;
      const status = reached ? 'done' : waiting ? (state.due?.overdue ? 'overdue' : 'due') : 'todo';
      return h(
        'li',
        { class: `stage stage-${status}`, testid: `request-stage-${stage}`, dataset: { status } },
        h('span', { class: 'stage-mark', 'aria-hidden': 'true' }, reached ? '✓' : ''),
        h(
          'div',
          { class: 'stage-text' },
          h('p', { class: 'stage-name' }, stageLabel(recordType, stage, rc.lang)),
          reached && h('p', { class: 'stage-meta' }, t('records.byAt', { name: rc.nameOf(by), time: formatTime(/** @type {number} */ (at), now) })),
          waiting &&
            h(
              'p',
              { class: 'stage-meta due', testid: 'request-due' },
              t(state.due?.overdue ? 'requests.overdue' : 'requests.dueBy', { time: formatTime(state.due?.at ?? 0, now) }),
            ),
        ),
      );
    }),
  );
}
