/**
 * Opened inside WeChat 微信 (user agent "MicroMessenger"): its in-app browser cannot make passkeys and
 * may drop the app's storage, so the enrollment link must be opened in the phone's own browser. The
 * page says how (右上角 ··· → 在浏览器打开) and offers the link to copy; it starts nothing.
 */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

export function wechatNotice() {
  const link = location.href;
  const copied = h('p', { class: 'muted small', testid: 'wechat-copied', hidden: true }, t('wechat.copied'));
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      copied.hidden = false;
    } catch {
      // WeChat may refuse the clipboard: the link is shown, and can be selected by hand
    }
  };
  return h(
    'section',
    { class: 'screen wechat-screen', testid: 'wechat-notice' },
    h(
      'div',
      { class: 'enroll-hero' },
      h('img', { src: '/icons/icon-192.png', alt: '', width: 72, height: 72 }),
      h('h1', null, t('wechat.title')),
    ),
    h('p', { class: 'notice notice-warn' }, t('wechat.why')),
    h(
      'ol',
      { class: 'card steps' },
      h('li', null, t('wechat.step1'), h('span', { class: 'menu-dots', 'aria-hidden': 'true' }, ' ··· ')),
      h('li', null, t('wechat.step2')),
      h('li', null, t('wechat.step3')),
    ),
    h('p', { class: 'link-box', testid: 'wechat-link' }, link),
    h('button', { type: 'button', class: 'secondary big', testid: 'wechat-copy', onclick: copy }, t('wechat.copy')),
    copied,
  );
}
