/**
 * `h(tag, props, ...children)`: the one DOM helper the components share. Text goes in as text nodes,
 * never as HTML, so names and notes from the server cannot inject markup.
 */

const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'required']);

/**
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * @param {string} tag
 * @param {Record<string, any> | null} [props]  `class`, `testid` (data-testid), `dataset`, `on<event>`,
 *   DOM properties (value, checked, …), anything else as an attribute; null/undefined/false are skipped
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'testid') el.dataset.testid = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) /** @type {any} */ (el)[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/**
 * @param {Element} el
 * @param {...(Child | Child[])} children
 */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}
