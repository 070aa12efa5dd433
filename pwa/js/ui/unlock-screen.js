/**
 * Unlock 输入 PIN: the member enters their PIN to open their data on this device (works offline).
 * Each wrong PIN says how many tries are left; the fifth locks the member here (pin.js), and the screen
 * becomes 已锁定: contact the community for a new code; the unsynced records stay, encrypted, and are
 * synced once the member is enrolled again on this browser.
 */

import { t } from '../i18n/index.js';
import { h, replaceChildren } from './dom.js';
import { pinInput } from './pin-input.js';

/**
 * @typedef {object} UnlockProps
 * @property {any} member       directory entry
 * @property {number} unsynced  the member's outbox entries (counted without unlocking)
 * @property {boolean} others   more than one member on this browser: offer the list
 * @property {(pin: string) => Promise<import('../pin.js').UnlockResult>} onUnlock
 * @property {() => void} onMembers    选择成员
 * @property {() => void} onEnroll     添加成员 / re-enroll with a new code
 */

/** @param {UnlockProps} props */
export function unlockScreen(props) {
  const { member } = props;
  const el = h('section', { class: 'screen pin-screen', testid: 'unlock-screen', dataset: { member: String(member.id) } });
  const draw = (/** @type {any} */ entry) => replaceChildren(el, entry.locked ? lockedView(entry, props) : pinView(entry, props, draw));
  draw(member);
  return { el };
}

/**
 * @param {any} member
 * @param {UnlockProps} props
 * @param {(entry: any) => void} redraw
 */
function pinView(member, props, redraw) {
  const pin = pinInput({ id: 'unlock-pin', testid: 'unlock-pin', label: t('unlock.pin'), autofocus: true });
  const error = h('p', { class: 'notice notice-error', testid: 'unlock-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary big', testid: 'unlock-submit' }, t('unlock.submit'));

  /** @param {SubmitEvent} event */
  async function onSubmit(event) {
    event.preventDefault();
    if (pin.value.length !== 6) {
      error.textContent = t('pin.needDigits');
      error.hidden = false;
      return;
    }
    submit.setAttribute('disabled', '');
    submit.textContent = t('unlock.checking');
    const result = await props.onUnlock(pin.value);
    submit.removeAttribute('disabled');
    submit.textContent = t('unlock.submit');
    if (result.status === 'wrong') {
      pin.value = '';
      error.textContent = t('unlock.wrong', { n: result.left });
      error.hidden = false;
      pin.focus();
    } else if (result.status === 'locked') {
      redraw(result.entry);
    }
  }

  return [
    hero(member, false),
    h('p', { class: 'muted center' }, t('unlock.intro')),
    props.unsynced > 0 && h('p', { class: 'notice notice-info center', testid: 'unlock-unsynced' }, t('members.unsynced', { n: props.unsynced })),
    h('form', { class: 'card form', testid: 'unlock-form', onsubmit: onSubmit, novalidate: true }, pin, error, submit),
    footer(props),
  ];
}

/**
 * @param {any} member
 * @param {UnlockProps} props
 */
function lockedView(member, props) {
  return [
    hero(member, true),
    h(
      'div',
      { class: 'card locked-card', testid: 'locked-screen' },
      h('h2', null, t('locked.title')),
      h('p', { testid: 'locked-message' }, t('locked.message')),
      props.unsynced > 0 && h('p', { class: 'notice notice-info', testid: 'locked-unsynced' }, t('locked.kept', { n: props.unsynced })),
      h('button', { type: 'button', class: 'primary big', testid: 'locked-reenroll', onclick: props.onEnroll }, t('locked.reenroll')),
    ),
    footer(props),
  ];
}

/**
 * @param {any} member
 * @param {boolean} locked
 */
function hero(member, locked) {
  return h(
    'div',
    { class: 'member-hero' },
    h('span', { class: locked ? 'avatar locked' : 'avatar', 'aria-hidden': 'true' }, member.name.slice(-2)),
    h('h1', { testid: 'unlock-name' }, member.name),
  );
}

/** @param {UnlockProps} props */
function footer(props) {
  return h(
    'div',
    { class: 'actions' },
    props.others && h('button', { type: 'button', class: 'secondary', testid: 'unlock-members', onclick: props.onMembers }, t('members.title')),
    h('button', { type: 'button', class: 'secondary', testid: 'unlock-add', onclick: props.onEnroll }, t('members.add')),
  );
}
