/**
 * A record's sync status, as every record card shows it: the badge 待同步 / 已同步 / 被拒绝, and for a
 * rejected change the reason with 重新提交 (retry) and 放弃此修改 (discard).
 */

import { rejectionReason, t } from '../i18n/index.js';
import { h } from './dom.js';

/**
 * @param {{status: import('../visits.js').SyncStatus, prefix: string, onRetry: () => void, onDiscard: () => void}} props
 *   prefix: of the test ids (`visit` gives visit-status, visit-rejection, visit-retry…)
 * @returns {{badge: HTMLElement, rejection: HTMLElement | null}}
 */
export function syncStatusParts({ status, prefix, onRetry, onDiscard }) {
  const badge = h(
    'span',
    { class: `badge status-${status.status}`, testid: `${prefix}-status`, dataset: { status: status.status } },
    t(`status.${status.status}`),
  );
  const rejection =
    status.status === 'rejected'
      ? h(
          'div',
          { class: 'rejection', testid: `${prefix}-rejection` },
          h('p', { class: 'reason', testid: `${prefix}-rejection-reason`, dataset: { code: status.code } }, rejectionReason(status)),
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', class: 'secondary', testid: `${prefix}-retry`, onclick: onRetry }, t('visits.retry')),
            h('button', { type: 'button', class: 'danger', testid: `${prefix}-discard`, onclick: onDiscard }, t('visits.discard')),
          ),
        )
      : null;
  return { badge, rejection };
}
