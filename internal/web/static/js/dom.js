// Small DOM helpers shared by the dashboard (app.js) and the fleet page
// (fleet.js).

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Put a formatted value into every element marked data-field=name. */
export function setField(name, text, raw) {
  for (const el of document.querySelectorAll(`[data-field="${name}"]`)) {
    el.textContent = text;
    if (raw === undefined) el.removeAttribute('data-value');
    else el.dataset.value = String(raw);
  }
}

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
