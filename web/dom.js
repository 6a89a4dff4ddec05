// A tiny element builder: text is always set as text, never parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat())
    if (c !== null && c !== undefined && c !== false)
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export const money = (cents) => (cents / 100).toLocaleString('en', { style: 'currency', currency: 'EUR' });
export const when = (iso) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) +
  ' UTC';

// The main area, emptied and filled by a page; focus moves to its heading so
// that a keyboard or screen-reader user starts at the top of the new page.
export function page(title, ...children) {
  const main = document.getElementById('main');
  const heading = h('h1', { tabindex: '-1', text: title });
  main.replaceChildren(heading, ...children.filter((c) => c !== null && c !== undefined && c !== false));
  document.title = `${title} · boxoffice`;
  heading.focus();
  return main;
}

// A message area: role=alert for problems, polite status otherwise.
export function notice(el, text, kind = 'error') {
  el.className = `notice ${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  el.textContent = text;
}
