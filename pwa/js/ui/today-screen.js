/**
 * Today 今日 (#/today), the first screen after unlock: this month's progress (本月已访 n/m), then what is
 * due — curtain checks not yet confirmed (overdue first), households overdue for a visit, requests past a
 * 1-2-3 limit, mediation follow-ups due. Everything is computed on the phone (today.js) from synced data,
 * so it works offline, and redrawn after every sync, every save, and every minute (a deadline can pass
 * while the screen is open). Each entry opens its screen.
 */

import { getLang, t } from '../i18n/index.js';
import { recordContext } from '../record-context.js';
import { stageLabel } from '../requests.js';
import { isKnownRoute } from '../router.js';
import { computeToday } from '../today.js';
import { h, replaceChildren } from './dom.js';

/** Overdue households shown here; the rest are one tap away in the filtered household list. */
const OVERDUE_SHOWN = 5;

/**
 * @param {import('../app.js').Ctx} ctx
 */
export async function todayScreen(ctx) {
  const body = h('div', { class: 'today-body' });
  const title = h('h1', null);
  const el = h('section', { class: 'screen today-screen', testid: 'today-screen' }, title, body);

  async function refresh() {
    const [rc, rows, records] = await Promise.all([recordContext(ctx), ctx.db.listHouseholds(), ctx.db.listRecords()]);
    const now = ctx.now();
    const today = computeToday({ now, households: rows, records, rules: rc.rules, member: rc.member, declaration: rc.declaration });
    const day = new Intl.DateTimeFormat(getLang(), { month: 'long', day: 'numeric', weekday: 'long' }).format(now);
    replaceChildren(title, t('today.title'), h('span', { class: 'title-date' }, day));
    el.dataset.date = today.date;
    /** @param {any} household */
    const place = (household) => (household ? `${household.address} · ${household.head}` : t('today.unknownHousehold'));
    /** @param {any} household */
    const householdHref = (household) => `#/households/${encodeURIComponent(household.id)}`;
    /** A record's own screen when it exists, else its household's page. @param {string} href @param {string} household */
    const open = (href, household) => (isKnownRoute(href) ? href : `#/households/${encodeURIComponent(household)}`);

    const curtain = today.curtain.map((item) => {
      const last = item.check?.logs.escalation?.at(-1)?.value;
      const detail = last
        ? t('today.curtainStep', { step: rc.valueText('curtain_check', 'escalation', last.step), time: last.time })
        : '';
      return entry({
        href: open(`#/curtain/${encodeURIComponent(item.household.id)}`, item.household.id),
        title: place(item.household),
        lines: [t(item.overdue ? 'today.curtainOverdue' : 'today.curtainDue', { time: item.deadline }), detail],
        urgency: item.overdue ? 'late' : 'due',
        testid: 'today-curtain',
        data: { household: item.household.id, overdue: String(item.overdue) },
      });
    });
    const overdue = today.overdue.slice(0, OVERDUE_SHOWN).map((item) =>
      entry({
        href: householdHref(item.household),
        title: place(item.household),
        lines: [
          t(item.lastVisit ? 'today.overdueDays' : 'today.neverVisited', {
            n: item.daysOverdue,
            level: t(`care.${item.household.care_level ?? 'green'}`),
            cadence: item.cadence,
          }),
        ],
        urgency: item.lastVisit ? 'late' : 'due',
        testid: 'today-overdue',
        data: { household: item.household.id },
      }),
    );
    const requestType = rc.declaration.types.request;
    const requests = today.requests.map((item) =>
      entry({
        href: open(`#/requests/${item.view.id}`, item.view.household),
        title: `${item.view.values.category ? rc.valueText('request', 'category', item.view.values.category) : rc.label('request')} · ${place(item.household)}`,
        lines: [
          t(item.daysLate > 0 ? 'today.requestLate' : 'today.requestLateToday', { stage: stageLabel(requestType, item.stage, rc.lang), n: item.daysLate }),
          item.view.values.description ?? '',
        ],
        urgency: 'late',
        testid: 'today-request',
        data: { id: item.view.id },
      }),
    );
    const followups = today.followups.map((item) =>
      entry({
        href: open(`#/mediation/${item.view.id}`, item.view.household),
        title: `${item.view.values.category ? rc.valueText('mediation', 'category', item.view.values.category) : rc.label('mediation')} · ${place(item.household)}`,
        lines: [t('today.followupDue', { date: item.date })],
        urgency: item.date < today.date ? 'late' : 'due',
        testid: 'today-followup',
        data: { id: item.view.id },
      }),
    );
    const nothing = [curtain, overdue, requests, followups].every((list) => list.length === 0);
    replaceChildren(
      body,
      month(today.month),
      section('today.curtain', today.curtain.length, curtain, 'today-section-curtain'),
      section('today.overdue', today.overdue.length, overdue, 'today-section-overdue'),
      today.overdue.length > OVERDUE_SHOWN &&
        h('a', { class: 'button secondary big more', href: '#/households?overdue=1', testid: 'today-more-overdue' }, `${t('today.more')} ›`),
      section('today.requests', today.requests.length, requests, 'today-section-requests'),
      section('today.followups', today.followups.length, followups, 'today-section-followups'),
      nothing &&
        h('div', { class: 'card all-done', testid: 'today-all-done' }, h('p', { class: 'big-text' }, `✓ ${t('today.allDone')}`), h('p', { class: 'muted' }, t('today.allDoneHint'))),
    );
  }

  await refresh();
  const timer = setInterval(() => {
    if (!el.isConnected) clearInterval(timer);
    else refresh().catch((error) => console.warn('lianhu: today refresh failed', error));
  }, 60_000);
  return { el, refresh };
}

/** 本月已访 n/m, with a bar. @param {{visited: number, total: number, linked: boolean}} progress */
function month({ visited, total, linked }) {
  return h(
    'div',
    { class: 'card month', testid: 'today-month', dataset: { visited: String(visited), total: String(total) } },
    h('p', { class: 'month-count' }, t('today.month', { n: visited, m: total })),
    h('progress', { max: Math.max(total, 1), value: visited, 'aria-label': t('today.month', { n: visited, m: total }) }),
    h('p', { class: 'muted' }, t(linked ? 'today.monthLinked' : 'today.monthGrids')),
  );
}

/**
 * @param {string} key @param {number} count @param {HTMLElement[]} entries @param {string} testid
 */
function section(key, count, entries, testid) {
  if (entries.length === 0) return null;
  return h(
    'section',
    { class: 'today-section', testid, dataset: { count: String(count) } },
    h('h2', null, t(key), h('span', { class: 'count-badge' }, t('today.count', { n: count }))),
    h('div', { class: 'list' }, entries),
  );
}

/**
 * @param {{href: string, title: string, lines: string[], urgency: 'late' | 'due', testid: string, data: Record<string, string>}} props
 */
function entry({ href, title, lines, urgency, testid, data }) {
  return h(
    'a',
    { class: `card today-item ${urgency}`, href, testid, dataset: data },
    h('span', { class: 'item-title' }, title),
    lines.filter(Boolean).map((line, i) => h('span', { class: i === 0 ? 'item-flag' : 'item-line' }, line)),
    h('span', { class: 'go', 'aria-hidden': 'true' }, '›'),
  );
}
