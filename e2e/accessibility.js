// What a member over 60 must be able to read and hit (issue 6 §7), measured in the page by
// e2e/today_steps.py accessibility_problems(): text of at least 16 px, tap targets of at least 48 × 48 px,
// contrast of at least 4.5:1 (WCAG 1.4.3 AA; inactive controls are exempt, as WCAG says). Backgrounds are
// composited from the element up to the first opaque layer; a gradient counts with its worst stop;
// opacity and translucent colours are blended. Evaluated as one arrow function: no module syntax here.
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  const lum = ({r, g, b}) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const backgrounds = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      const stops = (style.backgroundImage.match(/rgba?\([^)]+\)/g) || []).map(parse);
      const color = parse(style.backgroundColor);
      if (stops.length > 0) { layers.push(stops); if (stops.every((s) => s.a === 1)) break; }
      if (color && color.a > 0) { layers.push([color]); if (color.a === 1) break; }
    }
    let candidates = [{r: 255, g: 255, b: 255, a: 1}];
    for (const layer of layers.reverse()) candidates = layer.flatMap((top) => candidates.map((bottom) => over(top, bottom)));
    return candidates;
  };
  const shown = (el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) &&
    el.getClientRects().length > 0;
  const inactive = (el) => Boolean(el.closest('button:disabled, input:disabled, select:disabled, textarea:disabled, fieldset:disabled'));
  const name = (el) => {
    const id = el.dataset.testid ? `[${el.dataset.testid}]` : el.className ? `.${String(el.className).split(' ')[0]}` : '';
    return `${el.tagName.toLowerCase()}${id}`;
  };
  const problems = [];
  let texts = 0, targets = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || !shown(el) || el.closest('script, style, noscript')) continue;
    seen.add(el);
    texts += 1;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const text = node.textContent.trim().slice(0, 24);
    if (size < 16) problems.push(`text ${size}px < 16px: ${name(el)} "${text}"`);
    if (inactive(el)) continue;
    let color = parse(style.color);
    let opacity = 1;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    color = {...color, a: color.a * opacity};
    const worst = Math.min(...backgrounds(el).map((bg) => ratio(over(color, bg), bg)));
    if (worst < 4.5) problems.push(`contrast ${worst.toFixed(2)}:1 < 4.5:1: ${name(el)} "${text}"`);
  }
  for (const input of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (!shown(input) || input.value) continue;
    const color = parse(getComputedStyle(input, '::placeholder').color);
    const worst = Math.min(...backgrounds(input).map((bg) => ratio(over(color, bg), bg)));
    if (worst < 4.5) problems.push(`placeholder contrast ${worst.toFixed(2)}:1 < 4.5:1: ${name(input)}`);
  }
  const interactive = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])';
  for (const el of document.querySelectorAll(interactive)) {
    if (!shown(el) || el.closest('[aria-hidden=true]')) continue;
    // A box inside its label is hit through the label: the label is the target.
    const target = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label') : el;
    const box = target.getBoundingClientRect();
    targets += 1;
    if (box.width < 48 || box.height < 48) {
      problems.push(`target ${Math.round(box.width)}×${Math.round(box.height)} < 48×48: ${name(target)} "${(target.textContent || '').trim().slice(0, 24)}"`);
    }
  }
  return {problems, texts, targets};
}
