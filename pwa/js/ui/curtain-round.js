/**
 * Today's curtain round 今日窗帘行动 (#/curtain): every household of my grids on the round, overdue ones first
 * (past the grid's morning deadline and not closed: the most urgent signal there is), then the households I
 * am linked to, then the rest of my grids. One tap closes a check; 未见到 · 处置 opens its escalation.
 */

import { t } from '../i18n/index.js';
import { closeSeen, curtainRound, roundCounts, TYPE } from '../curtain.js';
import { recordContext } from '../record-context.js';
import { visibleRecords } from '../record-view.js';
import { localDate } from '../visits.js';
import { h, replaceChildren } from './dom.js';
import { curtainItem } from './curtain-item.js';
import { showToast } from './toast.js';

/**
 * @param {import('../app.js').Ctx} ctx
 */
export async function curtainRoundScreen(ctx) {
  const summary = h('p', { class: 'curtain-summary', testid: 'curtain-summary' });
  const deadline = h('p', { class: 'muted curtain-deadline', testid: 'curtain-deadline' });
  const list = h('div', { class: 'list', testid: 'curtain-list' });

  async function refresh() {
    const [rc, states] = await Promise.all([recordContext(ctx), ctx.db.listRecords(TYPE)]);
    const now = ctx.now();
    const round = curtainRound({
      households: [...rc.households.values()],
      checks: visibleRecords(rc.declaration, states, rc.member),
      me: rc.member?.id,
      rules: rc.rules,
      now,
    });
    const counts = roundCounts(round);
    summary.textContent = `${localDate(now)} · ${t('curtain.counts', { closed: counts.closed, total: counts.total })}${
      counts.overdue > 0 ? ` · ${t('curtain.overdueCount', { n: counts.overdue })}` : ''
    }`;
    // Grids of one community share a deadline: say it once here, not on every card.
    const deadlines = [...new Set(round.map((item) => item.deadline))].sort();
    deadline.textContent = deadlines.length > 0 ? t('curtain.deadline', { time: deadlines.join(' / ') }) : '';
    summary.classList.toggle('has-overdue', counts.overdue > 0);
    if (round.length === 0) {
      replaceChildren(list, h('p', { class: 'empty', testid: 'curtain-empty' }, t('curtain.empty')));
      return;
    }
    /** @type {[string, import('../curtain.js').RoundItem[]][]} */
    const sections = [
      ['curtain.sectionOverdue', round.filter((item) => item.overdue)],
      ['curtain.sectionMine', round.filter((item) => !item.overdue && item.mine)],
      ['curtain.sectionOthers', round.filter((item) => !item.overdue && !item.mine)],
    ];
    replaceChildren(
      list,
      sections
        .filter(([, items]) => items.length > 0)
        .flatMap(([key, items]) => [
          h('h2', { class: key === 'curtain.sectionOverdue' ? 'section-title overdue' : 'section-title' }, t(key, { n: items.length })),
          ...items.map((item) => curtainItem({ item, rc, onSeen: () => seen(rc, item.household.id) })),
        ]),
    );
  }

  /**
   * @param {import('../record-context.js').RecordContext} rc
   * @param {string} household
   */
  async function seen(rc, household) {
    try {
      await closeSeen(household, { declaration: rc.declaration, db: ctx.db, now: ctx.now });
      showToast(navigator.onLine ? t('curtain.closed') : t('visit.savedOffline'));
      ctx.changed();
      ctx.requestSync();
    } catch (error) {
      console.error('lianhu: curtain check failed', error);
      showToast(t('error.unknown', { message: String(/** @type {any} */ (error)?.message ?? error) }), 'error');
    }
  }

  await refresh();
  const el = h(
    'section',
    { class: 'screen curtain-screen', testid: 'curtain-screen' },
    h('h1', null, t('curtain.title')),
    summary,
    deadline,
    list,
  );
  return { el, refresh };
}
