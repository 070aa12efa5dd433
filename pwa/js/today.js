/**
 * Today 今日: the member's due list, computed on the phone from what it has synced, so it works with no
 * signal at all (issue 6 §6; DOMAIN.md "due lists and alarms"). Pure: the clock, the households, the local
 * records, the rules from GET /api/me and the record-type declaration all come in as arguments.
 *
 * Each record type keeps its own due-list rule next to its screen (curtain.js, requests.js, mediation.js);
 * this module applies them to "my households" — those linked to me (covered_by), or every household of my
 * grids when none is — and adds the two rules that are about households rather than records:
 *
 *   curtain    窗帘行动 (curtain.js curtainDue): my households on the round whose check for today has no
 *              outcome; overdue past the grid's deadline (rules.curtain_deadlines); overdue ones first.
 *   overdue    my households past their visit cadence (households.js cadenceStatus): care level orange →
 *              green, then never visited, then the longest unvisited, then address.
 *   requests   群众诉求 (requests.js requestsDue) of my households, or collected by me, past a 1-2-3 limit.
 *   followups  矛盾调解 (mediation.js followupsDue) I may read whose next follow-up is today or earlier.
 *   month      本月已访 n/m: my key households (households.js isKeyHousehold) with a visit dated this month.
 *
 * Records go through record-view.js visibleRecords first: deleted ones and restricted ones I may not read
 * never count.
 */

import { curtainDue, curtainRound } from './curtain.js';
import { cadenceStatus, careLevel, CARE_LEVELS, isKeyHousehold, isVisit, lastVisits, myHouseholds, overlayAll } from './households.js';
import { followupsDue } from './mediation.js';
import { DAY_MS } from './record-types.js';
import { visibleRecords } from './record-view.js';
import { requestsDue } from './requests.js';

/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');

/**
 * The phone's local calendar day and time of day at `ms`.
 * @param {number} ms
 * @returns {{date: string, time: string}}
 */
export function localClock(ms) {
  const d = new Date(ms);
  return { date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`, time: `${pad(d.getHours())}:${pad(d.getMinutes())}` };
}

/**
 * @typedef {object} TodayInput
 * @property {number} now            ms (the phone's estimate of the server's clock)
 * @property {any[]} households      rows from GET /api/households, as stored on the phone
 * @property {any[]} records         every local record state
 * @property {any} [rules]           GET /api/me rules: {curtain_deadlines, visit_cadence_days}
 * @property {{id: number, role?: string} | null} [member]
 * @property {any} [declaration]     the record-type declaration (workflow, restricted types)
 */

/**
 * @typedef {import('./record-view.js').RecordView} RecordView
 * @typedef {object} Today
 * @property {string} date
 * @property {string} time
 * @property {import('./curtain.js').RoundItem[]} curtain
 * @property {{household: any, lastVisit: string | null, due: string | null, daysOverdue: number, cadence: number}[]} overdue
 * @property {{view: RecordView, household: any | null, stage: string, dueAt: number, daysLate: number}[]} requests
 * @property {{view: RecordView, household: any | null, date: string}[]} followups
 * @property {{visited: number, total: number, linked: boolean}} month
 */

/**
 * @param {TodayInput} input
 * @returns {Today}
 */
export function computeToday({ now, households: rows, records, rules, member = null, declaration }) {
  const { date: today, time } = localClock(now);
  const me = member?.id ?? null;
  const views = visibleRecords(declaration, records, member);
  const visible = new Set(views.map((view) => view.id));
  const live = records.filter((record) => visible.has(record.id));
  const households = overlayAll(rows, live);
  const byId = new Map(households.map((h) => [h.id, h]));
  const mine = myHouseholds(households, me);
  const mineIds = new Set(mine.households.map((h) => h.id));
  const ofType = (/** @type {string} */ type) => views.filter((view) => view.type === type);

  const round = curtainRound({ households: mine.households, checks: ofType('curtain_check'), me: me ?? undefined, rules, now });
  const requestType = declaration?.types?.request;
  const requests = requestType?.workflow
    ? requestsDue(requestType, ofType('request'), now)
        .filter(({ view, state }) => state.due?.overdue && (mineIds.has(view.household) || (me !== null && view.author === me)))
        .map(({ view, state }) => {
          const due = /** @type {{stage: string, at: number}} */ (state.due);
          return { view, household: byId.get(view.household) ?? null, stage: due.stage, dueAt: due.at, daysLate: Math.floor((now - due.at) / DAY_MS) };
        })
    : [];

  return {
    date: today,
    time,
    curtain: curtainDue(round),
    overdue: overdueHouseholds(mine.households, lastVisits(live), rules, today),
    requests,
    followups: followupsDue(ofType('mediation'), today).map((view) => ({
      view,
      household: byId.get(view.household) ?? null,
      date: view.values.next_followup,
    })),
    month: monthProgress(mine, live, today),
  };
}

/**
 * @param {any[]} mine @param {Map<string, string>} visits @param {any} rules @param {string} today
 */
function overdueHouseholds(mine, visits, rules, today) {
  const collator = new Intl.Collator('zh-CN', { numeric: true });
  const rank = (/** @type {any} */ h) => CARE_LEVELS.indexOf(careLevel(h));
  return mine
    .map((household) => ({ household, ...cadenceStatus(household, visits.get(household.id), rules?.visit_cadence_days, today) }))
    .filter((entry) => entry.overdue)
    .map(({ household, lastVisit, due, daysOverdue, cadence }) => ({ household, lastVisit, due, daysOverdue, cadence }))
    .sort(
      (a, b) =>
        rank(a.household) - rank(b.household) ||
        Number(b.lastVisit === null) - Number(a.lastVisit === null) ||
        b.daysOverdue - a.daysOverdue ||
        collator.compare(a.household.address ?? '', b.household.address ?? ''),
    );
}

/** @param {{households: any[], linked: boolean}} mine @param {any[]} records @param {string} today */
function monthProgress(mine, records, today) {
  const month = today.slice(0, 7);
  const keyIds = new Set(mine.households.filter(isKeyHousehold).map((h) => h.id));
  const visited = new Set(
    records
      .filter((r) => isVisit(r) && keyIds.has(r.household) && r.fields.date.value.slice(0, 7) === month && r.fields.date.value <= today)
      .map((r) => r.household),
  );
  return { visited: visited.size, total: keyIds.size, linked: mine.linked };
}
