/**
 * One household on today's curtain round: address and head, the check's state (未确认 / 处置中 / 已确认 with
 * its outcome / 已超时, highlighted), and while it is open the one tap 窗帘已拉开 / 见到本人 next to 未见到 · 处置,
 * which opens the escalation screen.
 */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

/**
 * @param {{item: import('../curtain.js').RoundItem, rc: import('../record-context.js').RecordContext,
 *          onSeen: () => void}} props
 */
export function curtainItem({ item, rc, onSeen }) {
  const { household, check, state, overdue } = item;
  const href = `#/curtain/${encodeURIComponent(household.id)}`;
  const outcome = check?.values.outcome;
  const status = overdue ? 'overdue' : state;
  const statusText =
    state === 'closed'
      ? `${rc.valueText('curtain_check', 'outcome', outcome)} · ${check?.values.checked_at ?? ''}`
      : t(overdue ? (state === 'escalating' ? 'curtain.overdueEscalating' : 'curtain.overdue') : `curtain.${state}`);
  const who = check && state === 'closed' ? closedBy(check, rc) : null;
  return h(
    'article',
    { class: `card curtain-item state-${status}`, testid: 'curtain-item', dataset: { household: household.id, state, overdue: String(overdue) } },
    h(
      'a',
      { class: 'curtain-item-main', href, testid: 'curtain-open' },
      h('div', { class: 'row' }, h('span', { class: 'address' }, household.address), item.mine && h('span', { class: 'chip mine' }, t('curtain.mine'))),
      h('div', { class: 'head' }, household.head),
      h('p', { class: `curtain-state tone-${status}`, testid: 'curtain-state' }, statusText),
      who && h('p', { class: 'author' }, t('curtain.closedBy', { name: who })),
    ),
    state !== 'closed' &&
      h(
        'div',
        { class: 'curtain-actions' },
        h('button', { type: 'button', class: 'primary seen', testid: 'curtain-seen', onclick: onSeen }, rc.valueText('curtain_check', 'outcome', 'seen')),
        h('a', { class: 'button secondary', href, testid: 'curtain-escalate' }, t('curtain.notSeen')),
      ),
  );
}

/**
 * Who wrote the winning outcome (the member who closed the check).
 * @param {import('../record-view.js').RecordView} check
 * @param {import('../record-context.js').RecordContext} rc
 */
function closedBy(check, rc) {
  return rc.nameOf(check.by.outcome ?? null) || null;
}
