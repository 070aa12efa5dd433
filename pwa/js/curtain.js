/**
 * 窗帘行动, the daily curtain round: a welfare check on each elderly resident living alone who agreed to it
 * (households with `curtain_round`). One check per household per day whoever records it — the record id is
 * derived from (household, date), docs/sync-protocol.md §3.5 — closed only with an outcome. Past the grid's
 * morning deadline (GET /api/me rules.curtain_deadlines) and not closed, a check is overdue: the most urgent
 * signal in the system, shown first.
 *
 * `curtainRound` is pure (Node tests use a fixed clock); the three actions write through records.js.
 */

import { addEntry, saveRecord } from './records.js';
import { localMs, localTime } from './record-view.js';
import { localDate } from './visits.js';

export const TYPE = 'curtain_check';
/** The server's default (LIANHU_CURTAIN_DEADLINE) when this phone has not heard the grid's yet. */
export const DEFAULT_DEADLINE = '09:30';
/** The escalation ladder, in the order it is climbed: 电话联系 → 上门敲门 → 联系亲属 → 报告社区 → 120/110. */
export const ESCALATION_STEPS = /** @type {const} */ (['phone', 'knock', 'family', 'community', 'emergency']);

/**
 * @typedef {object} RoundItem
 * @property {any} household
 * @property {import('./record-view.js').RecordView | null} check   today's check, if anyone recorded one
 * @property {'open' | 'escalating' | 'closed'} state
 * @property {boolean} overdue   past the deadline and not closed
 * @property {boolean} mine      a household I am linked to (包联, covered_by)
 * @property {string} deadline   "HH:MM"
 * @property {string | null} nextStep  the next rung of the ladder after the steps already taken
 */

/**
 * @param {any} household
 * @param {any} rules  /api/me rules
 */
export function deadlineOf(household, rules) {
  const grid = household.grid?.id ?? household.grid;
  return rules?.curtain_deadlines?.[String(grid)] ?? DEFAULT_DEADLINE;
}

/**
 * Today's round on this phone: every household on the round with its check's state. Overdue first; then
 * the households I cover before the rest of my grids; within each, the open ones before the closed; then
 * by address.
 * @param {{households: any[], checks: import('./record-view.js').RecordView[], me: number | undefined,
 *          rules: any, now: number}} input  checks: curtain_check views (any day)
 * @returns {RoundItem[]}
 */
export function curtainRound({ households, checks, me, rules, now }) {
  const today = localDate(now);
  const byHousehold = new Map(
    checks.filter((check) => check.values.date === today && !check.deleted).map((check) => [check.household, check]),
  );
  const collator = new Intl.Collator('zh-CN', { numeric: true });
  const items = households
    .filter((household) => household.curtain_round === true)
    .map((household) => {
      const check = byHousehold.get(household.id) ?? null;
      const steps = check?.logs.escalation ?? [];
      const closed = Boolean(check?.values.outcome);
      const deadline = deadlineOf(household, rules);
      const taken = new Set(steps.map((entry) => entry.value?.step));
      return {
        household,
        check,
        state: closed ? 'closed' : steps.length > 0 ? 'escalating' : 'open',
        overdue: !closed && now > localMs(today, deadline),
        mine: me !== undefined && (household.covered_by ?? []).includes(me),
        deadline,
        nextStep: closed ? null : (ESCALATION_STEPS.find((step) => !taken.has(step)) ?? null),
      };
    });
  const rank = (/** @type {RoundItem} */ item) => [item.overdue ? 0 : 1, item.mine ? 0 : 1, item.state === 'closed' ? 1 : 0];
  return /** @type {RoundItem[]} */ (items).sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let i = 0; i < ra.length; i += 1) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return collator.compare(a.household.address ?? '', b.household.address ?? '');
  });
}

/**
 * The due-list rule (Today): checks not closed yet, overdue first (the round's order).
 * @param {RoundItem[]} round
 */
export function curtainDue(round) {
  return round.filter((item) => item.state !== 'closed');
}

/**
 * @param {RoundItem[]} round
 */
export function roundCounts(round) {
  return {
    total: round.length,
    closed: round.filter((item) => item.state === 'closed').length,
    overdue: round.filter((item) => item.overdue).length,
  };
}

/**
 * @typedef {object} ActionDeps
 * @property {any} declaration
 * @property {import('./db.js').MemberVerbs} [db]
 * @property {() => number} now   this phone's idea of the server's time: decides "today" and the time of
 *   the tap (the op's stamp is the outbox's business, which corrects Date.now itself)
 */

/**
 * One tap 窗帘已拉开 / 见到本人: closes today's check (creating it with its derived id if nobody has yet).
 * @param {string} household
 * @param {ActionDeps} deps
 */
export function closeSeen(household, deps) {
  return closeCheck(household, { outcome: 'seen' }, deps);
}

/**
 * Closes a day's check (today's unless `date` says) with an outcome and notes, at the time of the tap.
 * @param {string} household
 * @param {{outcome: string, notes?: string | null, date?: string}} close
 * @param {ActionDeps} deps
 * @returns {Promise<string>} the check's id
 */
export async function closeCheck(household, { outcome, notes, date }, { declaration, db, now }) {
  const at = now();
  /** @type {Record<string, any>} */
  const fields = { date: date ?? localDate(at), outcome, checked_at: localTime(at) };
  if (notes) fields.notes = notes;
  return (await saveRecord(declaration, { type: TYPE, household }, fields, { db })).id;
}

/**
 * One rung of the escalation, appended to a day's check (today's unless `date` says), creating the check
 * first if this phone has none: concurrent steps from two phones both survive in the one record.
 * @param {string} household
 * @param {{step: string, time: string, result: string, notes?: string, date?: string}} step
 * @param {ActionDeps} deps
 * @returns {Promise<string>} the check's id
 */
export function addEscalation(household, { date, ...step }, { declaration, db, now }) {
  const value = { step: step.step, time: step.time, result: step.result, ...(step.notes ? { notes: step.notes } : {}) };
  return addEntry(declaration, { type: TYPE, household }, 'escalation', value, {
    create: { date: date ?? localDate(now()) },
    db,
  });
}
