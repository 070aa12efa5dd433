/**
 * Shown above every screen of an unlocked member whose server session is missing: records are still
 * saved on the device, and the banner says so. A passkey member logs in with one tap (the prompt must
 * follow a gesture); a device key logs in by itself, so its banner only appears while that fails.
 * When the server refuses the device (locked or revoked elsewhere), only a new enrollment helps.
 */

import { t } from '../i18n/index.js';
import { h } from './dom.js';

/**
 * @param {{auth: import('../session.js').AuthState, method: string, error: {code?: string} | null,
 *          onLogin: () => void, onEnroll: () => void}} props
 * @returns {HTMLElement | null}
 */
export function loginBanner({ auth, method, error, onLogin, onEnroll }) {
  if (auth === 'failed') {
    return h(
      'div',
      { class: 'banner banner-error', testid: 'login-banner', dataset: { state: 'failed' } },
      h('p', null, t('login.refused')),
      h('button', { type: 'button', class: 'secondary', testid: 'login-reenroll', onclick: onEnroll }, t('locked.reenroll')),
    );
  }
  if (auth !== 'needed') return null;
  const busy = h('span', { class: 'muted small', testid: 'login-busy', hidden: true }, t('login.busy'));
  const button = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      testid: 'login-button',
      onclick: () => {
        button.setAttribute('disabled', '');
        busy.hidden = false;
        onLogin();
      },
    },
    t(method === 'passkey' ? 'login.passkey' : 'login.deviceKey'),
  );
  return h(
    'div',
    { class: 'banner', testid: 'login-banner', dataset: { state: 'needed' } },
    h('p', null, t('login.needed')),
    error && h('p', { class: 'small', testid: 'login-error' }, t('login.failed')),
    h('div', { class: 'row' }, button, busy),
  );
}
