/**
 * 群众诉求, a resident's request and its closed loop 收集 → 转办 → 答复 → 回访 (DOMAIN.md): the stages, who may
 * record each and Jining's "123" limits (accepted within 1 day, handled within 2, feedback within 3) come
 * from the declaration's workflow; progress is its add-only `steps` log, read by record-types.js
 * `progress`, so two phones recording steps concurrently both count and every replica shows one stage.
 *
 * Pure, except `raiseRequest` and `recordStep`, which write through records.js.
 */

import { addEntry, saveRecord } from './records.js';
import { labelOf, progress, roleMay } from './record-types.js';

export const TYPE = 'request';

/**
 * @typedef {object} RequestState
 * @property {string} stage          the current stage (the last step, or 收集)
 * @property {boolean} closed        办结: a return visit with the resident satisfied
 * @property {{stage: string, at: number, overdue: boolean} | null} due   the next 123 limit
 * @property {{stage: string, at: number | null, by: number | null, value: any}[]} stages  each stage: when it was
 *   first reached and by whom (收集: the request's creation unless a 收集 step says otherwise)
 */

/**
 * A stage's label: 收集, 转办, 答复, 回访.
 * @param {any} recordType
 * @param {string} stage
 * @param {string} lang
 */
export function stageLabel(recordType, stage, lang) {
  return labelOf(recordType.workflow.stages[stage], lang, stage);
}

/**
 * @param {any} recordType  the declaration's `request`
 * @param {import('./record-view.js').RecordView} view
 * @param {number} now
 * @returns {RequestState}
 */
export function requestState(recordType, view, now) {
  const workflow = recordType.workflow;
  const entries = view.logs[workflow.log] ?? [];
  // progress() reads a log as stored (the wall part of each clock); the view keeps it as `at`.
  const asLog = entries.map((entry) => ({ value: entry.value, clock: String(entry.at).padStart(15, '0') }));
  const p = progress(recordType, asLog, view.createdMs);
  const stages = Object.keys(workflow.stages).map((stage, i) => {
    const first = entries.find((entry) => entry.value?.[workflow.key] === stage);
    if (first) return { stage, at: first.at, by: first.author, value: first.value };
    return i === 0 ? { stage, at: view.createdMs, by: view.author, value: null } : { stage, at: null, by: null, value: null };
  });
  return {
    stage: p.stage,
    closed: p.closed,
    due: p.due ? { ...p.due, overdue: now > p.due.at } : null,
    stages,
  };
}

/**
 * The steps `role` may record on this request now, in the loop's order: 收集 while none is recorded, 转办
 * (leaders) until it is closed, 答复 (leaders) once assigned, 回访 once replied (again after an unsatisfied
 * one). The server checks the role again (step_not_allowed); the phone only offers what would pass.
 * @param {any} declaration
 * @param {any} recordType
 * @param {import('./record-view.js').RecordView} view
 * @param {string | undefined} role
 * @returns {string[]}
 */
export function availableSteps(declaration, recordType, view, role) {
  const workflow = recordType.workflow;
  const taken = new Set((view.logs[workflow.log] ?? []).map((entry) => entry.value?.[workflow.key]));
  const state = requestState(recordType, view, 0);
  if (state.closed) return [];
  const open = {
    collect: !taken.has('collect') && !taken.has('assign'),
    assign: true,
    reply: taken.has('assign'),
    return_visit: taken.has('reply'),
  };
  return Object.entries(workflow.stages)
    .filter(([stage, spec]) => /** @type {any} */ (open)[stage] && roleMay(declaration, spec, role ?? ''))
    .map(([stage]) => stage);
}

/**
 * The due-list rule (Today): open requests, those past a 123 limit first, then by the nearest limit.
 * @param {any} recordType
 * @param {import('./record-view.js').RecordView[]} views  request views
 * @param {number} now
 */
export function requestsDue(recordType, views, now) {
  return views
    .map((view) => ({ view, state: requestState(recordType, view, now) }))
    .filter(({ state }) => !state.closed && state.due !== null)
    .sort((a, b) => Number(b.state.due?.overdue) - Number(a.state.due?.overdue) || (a.state.due?.at ?? 0) - (b.state.due?.at ?? 0));
}

/**
 * A new request, standalone or raised during a visit (`visit` = its id, `source` = "visit").
 * @param {any} declaration
 * @param {{household: string, fields: Record<string, any>}} request
 * @param {import('./records.js').Deps} [deps]
 * @returns {Promise<string>} the request's id
 */
export async function raiseRequest(declaration, { household, fields }, deps) {
  return (await saveRecord(declaration, { type: TYPE, household }, fields, deps)).id;
}

/**
 * One step of the loop (收集, 转办, 答复, 回访), checked against the member's role first.
 * @param {any} declaration
 * @param {import('./record-view.js').RecordView} view
 * @param {Record<string, any>} step  {step, to?, to_member?, satisfaction?, notes?}
 * @param {{role?: string} & import('./records.js').Deps} options
 */
export function recordStep(declaration, view, step, options) {
  const value = Object.fromEntries(Object.entries(step).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  return addEntry(declaration, { type: TYPE, household: view.household, id: view.id }, 'steps', value, options);
}
