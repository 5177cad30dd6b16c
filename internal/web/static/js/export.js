// The export dialog: pick a period and a format, download from the API.
//
// The download is a plain link (<a download>) to the API's export URL, so
// the browser handles it as a normal file download: nothing is buffered in
// the page, and the file name comes from the server's Content-Disposition.

import { apiURL, getJSON } from './api.js';
import * as fmt from './format.js';

import { $ } from './dom.js';

/** The dates of a named period, in the viewer's calendar. */
export function periodDates(range, start, end, now = new Date()) {
  const t = fmt.dayKey(now);
  switch (range) {
    case 'today':
      return { from: t, to: t };
    case 'week':
      return { from: fmt.addDays(t, -6), to: t };
    case 'month':
      return { from: `${t.slice(0, 7)}-01`, to: t };
    case 'year':
      return { from: `${t.slice(0, 4)}-01-01`, to: t };
    case 'custom':
      return { from: start, to: end };
    default:
      return { from: '', to: '' }; // all: the API starts at the first tracked day
  }
}

/**
 * How to download a choice: {url, filename} of an API answer, or {csvFrom,
 * csvTo} when the page must build the CSV itself.
 *
 *   - reports (HTML, Markdown, LLM text): /api/exports/generate, which takes
 *     every period;
 *   - CSV and JSON of everything: /api/export, the v1 export;
 *   - JSON of a period: /api/range, the days of that period;
 *   - CSV of a period: /api/export has no period parameter, so the page
 *     turns /api/range's days into the same columns as /api/export's CSV.
 */
export function exportPlan(range, format, start, end) {
  const { from, to } = periodDates(range, start, end);
  if (format === 'html' || format === 'markdown' || format === 'llm') {
    const custom = range === 'custom';
    return {
      url: apiURL('exports/generate', {
        range_type: range,
        format: format === 'llm' ? 'toon' : format,
        start_date: custom ? from : '',
        end_date: custom ? to : '',
      }),
      filename: '', // the server names it
    };
  }
  if (range === 'all') {
    return { url: apiURL('export', { format }), filename: format === 'json' ? 'packetbuddy_export.json' : '' };
  }
  if (format === 'json') {
    return { url: apiURL('range', { from_date: from, to_date: to }), filename: `packetbuddy_${from}_${to}.json` };
  }
  return { csvFrom: from, csvTo: to, filename: `packetbuddy_${from}_${to}.csv` };
}

/** /api/range days as /api/export's CSV: date,bytes_sent,bytes_received,total_bytes,peak_speed */
export function daysToCSV(days) {
  const lines = ['date,bytes_sent,bytes_received,total_bytes,peak_speed'];
  for (const d of days) lines.push([d.date, d.bytes_sent, d.bytes_received, d.total_bytes, d.peak_speed || 0].join(','));
  return `${lines.join('\n')}\n`;
}

async function downloadCSV(from, to, filename) {
  const data = await getJSON('range', { from_date: from, to_date: to });
  const url = URL.createObjectURL(new Blob([daysToCSV(data.days || [])], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function setupExport() {
  const dialog = $('export');
  const form = $('export-form');
  const go = $('export-go');
  const note = $('export-note');
  const dates = $('export-dates');
  const start = $('export-start');
  const end = $('export-end');

  let plan = null;
  const update = () => {
    const range = form.elements.range.value;
    const format = form.elements.format.value;
    dates.hidden = range !== 'custom';
    let problem = '';
    if (range === 'custom') {
      if (!fmt.parseDay(start.value) || !fmt.parseDay(end.value)) problem = 'Choose both dates.';
      else if (start.value > end.value) problem = 'The start date is after the end date.';
    }
    note.textContent = problem;
    go.setAttribute('aria-disabled', problem ? 'true' : 'false');
    plan = problem ? null : exportPlan(range, format, start.value, end.value);
    if (plan && plan.url) {
      go.href = plan.url;
      if (plan.filename) go.download = plan.filename;
      else go.setAttribute('download', '');
    } else {
      go.href = '#'; // built in the page on click
    }
  };

  $('export-open').addEventListener('click', () => {
    const t = fmt.today();
    if (!end.value) end.value = t;
    if (!start.value) start.value = fmt.addDays(t, -29);
    start.max = end.max = t;
    update();
    dialog.showModal();
  });
  $('export-cancel').addEventListener('click', () => dialog.close());
  form.addEventListener('change', update);
  form.addEventListener('input', update);
  go.addEventListener('click', (ev) => {
    if (!plan) {
      ev.preventDefault();
      return;
    }
    if (plan.url) {
      // The link's own default action downloads; close once it has started.
      setTimeout(() => dialog.close(), 0);
      return;
    }
    ev.preventDefault();
    downloadCSV(plan.csvFrom, plan.csvTo, plan.filename).then(
      () => dialog.close(),
      (err) => {
        note.textContent = `The export failed: ${err.message}`;
      },
    );
  });
}
