// The API reference page: renders the daemon's own OpenAPI document
// (/api/openapi.json) with nothing loaded from another host. Endpoints are
// grouped by tag; schemas are listed once at the end and linked by name.

import { getJSON } from './api.js';
import { $, h } from './dom.js';

const refName = (ref) => ref.split('/').pop();

/** A schema's type in a few words, with links to named schemas. */
function typeOf(schema) {
  if (!schema) return ['—'];
  if (schema.$ref) return [h('a', { href: `#schema-${refName(schema.$ref)}` }, refName(schema.$ref))];
  if (schema.allOf) return schema.allOf.flatMap((s, i) => (i ? [' + ', ...typeOf(s)] : typeOf(s)));
  if (schema.oneOf || schema.anyOf) return (schema.oneOf || schema.anyOf).flatMap((s, i) => (i ? [' | ', ...typeOf(s)] : typeOf(s)));
  if (schema.type === 'array') return ['array of ', ...typeOf(schema.items)];
  let t = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type || 'any';
  if (schema.format) t += ` (${schema.format})`;
  if (schema.enum) t += `: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  return [t];
}

/** The properties of an object schema as a table (allOf parts merged). */
function propsTable(schema) {
  const props = [];
  const required = new Set();
  const walk = (s) => {
    if (!s) return;
    for (const part of s.allOf || []) walk(part);
    for (const [name, p] of Object.entries(s.properties || {})) props.push([name, p]);
    for (const r of s.required || []) required.add(r);
  };
  walk(schema);
  if (!props.length) return null;
  return h(
    'table',
    { className: 'data docs-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Notes'))),
    h(
      'tbody',
      {},
      ...props.map(([name, p]) =>
        h(
          'tr',
          { className: p.deprecated ? 'deprecated' : '' },
          h('th', { scope: 'row' }, h('code', {}, name)),
          h('td', {}, ...typeOf(p)),
          h('td', {}, [required.has(name) ? 'required' : '', p.deprecated ? 'deprecated' : '', p.description || ''].filter(Boolean).join(' · ')),
        ),
      ),
    ),
  );
}

function operation(path, method, op) {
  const id = `op-${method}-${path.replace(/[^a-z0-9]+/gi, '-')}`;
  const params = op.parameters || [];
  const responses = Object.entries(op.responses || {});
  return h(
    'section',
    { className: 'card docs-op', id },
    h('h3', {}, h('span', { className: `method m-${method}` }, method.toUpperCase()), ' ', h('code', {}, path)),
    op.summary ? h('p', { className: 'docs-summary' }, op.summary) : null,
    op.description ? h('p', { className: 'hint' }, op.description) : null,
    params.length
      ? h(
          'table',
          { className: 'data docs-table' },
          h('caption', {}, 'Parameters'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'In'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Notes'))),
          h(
            'tbody',
            {},
            ...params.map((p) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('code', {}, p.name)),
                h('td', {}, p.in),
                h('td', {}, ...typeOf(p.schema)),
                h('td', {}, [p.required ? 'required' : '', p.description || ''].filter(Boolean).join(' · ')),
              ),
            ),
          ),
        )
      : null,
    h(
      'dl',
      { className: 'docs-responses' },
      ...responses.flatMap(([code, r]) => {
        const content = r.content || {};
        const types = Object.entries(content).flatMap(([ct, c]) => [' ', h('code', {}, ct), ...(c.schema ? [' ', ...typeOf(c.schema)] : [])]);
        return [h('dt', {}, code), h('dd', {}, r.description || '', ...types)];
      }),
    ),
  );
}

function render(doc) {
  document.title = `${doc.info.title} ${doc.info.version}`;
  $('api-version').textContent = `${doc.info.title} ${doc.info.version} · OpenAPI ${doc.openapi}`;
  $('api-description').textContent = doc.info.description || '';
  const byTag = new Map((doc.tags || []).map((t) => [t.name, []]));
  for (const [path, ops] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  const toc = [];
  const groups = [];
  for (const [tag, ops] of byTag) {
    if (!ops.length) continue;
    groups.push(h('h2', { className: 'docs-tag', id: `tag-${tag}` }, tag));
    for (const [path, method, op] of ops) {
      const sec = operation(path, method, op);
      groups.push(sec);
      toc.push(h('li', {}, h('a', { href: `#${sec.id}` }, h('span', { className: `method m-${method}` }, method.toUpperCase()), ' ', path), op.summary ? ` — ${op.summary}` : ''));
    }
  }
  $('toc').replaceChildren(...toc);
  $('endpoints').replaceChildren(...groups);
  const schemas = Object.entries((doc.components && doc.components.schemas) || {});
  $('schemas').replaceChildren(
    ...schemas.map(([name, s]) =>
      h(
        'div',
        { className: 'docs-schema', id: `schema-${name}` },
        h('h3', {}, h('code', {}, name)),
        s.description ? h('p', { className: 'hint' }, s.description) : null,
        propsTable(s) || h('p', {}, ...typeOf(s)),
      ),
    ),
  );
}

getJSON('openapi.json').then(
  (doc) => {
    render(doc);
    document.body.dataset.ready = 'true'; // the browser test waits for this
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  },
  (err) => {
    const el = $('error');
    el.textContent = `Could not load the API description: ${err.message}`;
    el.hidden = false;
  },
);
