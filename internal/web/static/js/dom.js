// Small DOM helpers shared by the page's modules.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Build an element: h('td', {className: 'x'}, 'text', child...). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el) el[k] = v;
    else el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}
