/**
 * Choose member 选择成员: the start screen of a browser where several members are enrolled (a grid-
 * station tablet). It lists names only — from the plaintext directory — with each one's lock state and
 * unsynced count; a tap asks for that member's PIN. 添加成员 enrolls another member here.
 */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

/**
 * @param {{members: {entry: any, unsynced: number}[], onPick: (id: number) => void, onAdd: () => void}} props
 */
export function memberPicker({ members, onPick, onAdd }) {
  const sorted = [...members].sort((a, b) => a.entry.name.localeCompare(b.entry.name, 'zh-CN'));
  const el = h(
    'section',
    { class: 'screen members-screen', testid: 'members-screen' },
    h('h1', null, t('members.title')),
    h('p', { class: 'muted' }, t('members.intro')),
    h(
      'div',
      { class: 'list', testid: 'member-list' },
      sorted.map(({ entry, unsynced }) =>
        h(
          'button',
          {
            type: 'button',
            class: 'card member-item',
            testid: 'member-item',
            dataset: { id: String(entry.id), locked: String(Boolean(entry.locked)) },
            onclick: () => onPick(entry.id),
          },
          h('span', { class: entry.locked ? 'avatar locked' : 'avatar', 'aria-hidden': 'true' }, entry.name.slice(-2)),
          h(
            'span',
            { class: 'member-text' },
            h('span', { class: 'member-name', testid: 'member-name' }, entry.name),
            h(
              'span',
              { class: 'member-status muted' },
              entry.locked ? t('members.locked') : entry.device?.label || t(`method.${entry.method}`),
              unsynced > 0 ? ` · ${t('members.unsynced', { n: unsynced })}` : '',
            ),
          ),
          h('span', { class: 'go' }, '›'),
        ),
      ),
    ),
    h('button', { type: 'button', class: 'secondary big', testid: 'member-add', onclick: onAdd }, `＋ ${t('members.add')}`),
  );
  return { el };
}
