/**
 * A modal question with two answers, drawn by the app (a native confirm() cannot be styled, and some
 * in-app browsers suppress it). Resolves true for the confirming button, false for cancel or Escape.
 */

import { h } from './dom.js';

/**
 * @param {{title: string, message: string, confirm: string, cancel: string, danger?: boolean, testid?: string}} props
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, message, confirm, cancel, danger = false, testid = 'confirm-dialog' }) {
  return new Promise((resolve) => {
    const dialog = /** @type {HTMLDialogElement} */ (
      h(
        'dialog',
        { class: 'dialog', testid },
        h('h2', null, title),
        h('p', { testid: `${testid}-message` }, message),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', testid: `${testid}-cancel`, onclick: () => dialog.close('cancel') }, cancel),
          h('button', { type: 'button', class: danger ? 'danger' : 'primary', testid: `${testid}-confirm`, onclick: () => dialog.close('confirm') }, confirm),
        ),
      )
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
