// Formatting of bytes, speeds and dates, and calendar arithmetic.
//
// Bytes are formatted exactly like the API's human_readable strings
// (internal/units.FormatBytesBase): decimal units by default, an integer
// under one unit step, two decimals above, and a value that rounds to
// 1000.00 of a unit is promoted to the next unit ("1.00 MB", never
// "1000.00 KB"). The arithmetic is done in BigInt so that 999,995 B rounds
// the same way Go does; floats would get half-way cases wrong. The unit
// family is the daemon's [display] units setting, which /api/health names
// ("si" or "iec"); the pages call useUnits with it before they show a byte.
//
// Dates are plain calendar days "YYYY-MM-DD" in the viewer's local calendar.
// Never write new Date("YYYY-MM-DD"): JavaScript reads that as UTC midnight,
// which is the previous day anywhere west of Greenwich. parseDay builds the
// Date from its parts instead.

const SI = { radix: 1000n, units: ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'] };
const IEC = { radix: 1024n, units: ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] };
let base = SI;

/**
 * Format like the daemon: binary units (KiB, MiB…) for "iec", decimal for
 * "si" or anything else (an older daemon that does not say).
 */
export function useUnits(units) {
  base = units === 'iec' ? IEC : SI;
}

/** The unit family in use: "si" or "iec". */
export function currentUnits() {
  return base === IEC ? 'iec' : 'si';
}

/** formatBytes(2621440) === "2.62 MB" */
export function formatBytes(n) {
  const { radix, units } = base;
  const v = toBigInt(n);
  if (v < radix) return `${v} B`;
  let i = 0;
  let div = 1n;
  while (i < units.length - 1 && v / div >= radix) {
    i++;
    div *= radix;
  }
  for (;;) {
    // hundredths of the unit, rounded half up
    let h = (v * 100n) / div;
    const r = (v * 100n) % div;
    if (2n * r >= div) h++;
    if (h >= 100n * radix && i < units.length - 1) {
      i++;
      div *= radix;
      continue;
    }
    const frac = String(h % 100n).padStart(2, '0');
    return `${h / 100n}.${frac} ${units[i]}`;
  }
}

/** formatSpeed(12400000) === "12.40 MB/s" */
export function formatSpeed(n) {
  return `${formatBytes(n)}/s`;
}

/**
 * A short label for chart axes ("2.5 GB", "800 MB"): axis ticks need to be
 * narrow, not exact. The full value is in the tooltips and tables.
 */
export function formatBytesShort(n) {
  const radix = Number(base.radix);
  const { units } = base;
  let x = Number(n) || 0;
  let i = 0;
  while (x >= radix && i < units.length - 1) {
    x /= radix;
    i++;
  }
  const digits = i === 0 || x >= 10 ? 0 : 1; // "800 B", "2.5 GB", "25 GB", "250 GB"
  let shown = Number(x.toFixed(digits));
  if (shown >= radix && i < units.length - 1) {
    shown = 1; // 999.6 KB reads "1 MB", as formatBytes would promote it
    i++;
  }
  return `${shown} ${units[i]}`;
}

function toBigInt(n) {
  if (typeof n === 'bigint') return n < 0n ? 0n : n;
  const x = Number(n);
  if (!Number.isFinite(x) || x <= 0) return 0n;
  return BigInt(Math.round(x));
}

/** A percentage with at most one decimal: pct(1, 3) === "33.3%". */
export function pct(part, whole) {
  if (!whole) return '0%';
  return `${Number(((100 * part) / whole).toFixed(1))}%`;
}

/** A whole number with the viewer's grouping: 1234 → "1,234". */
export function formatCount(n) {
  return new Intl.NumberFormat().format(n);
}

// ---- calendar days ------------------------------------------------------

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** The local calendar day of a Date as "YYYY-MM-DD". */
export function dayKey(d) {
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "YYYY-MM" for a year and a 1-based month. */
export function monthKey(year, month) {
  return `${pad(year, 4)}-${pad(month)}`;
}

/** Parse "YYYY-MM-DD" as local noon of that day (noon: DST can never move it to another day). */
export function parseDay(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12);
  return dayKey(d) === s ? d : null; // rejects 2025-02-30
}

/** Today in the viewer's calendar, "YYYY-MM-DD". */
export function today(now = new Date()) {
  return dayKey(now);
}

/** The day n days after "YYYY-MM-DD" (n may be negative). */
export function addDays(s, n) {
  const d = parseDay(s);
  d.setDate(d.getDate() + n);
  return dayKey(d);
}

/** Number of days in a 1-based month. */
export function daysInMonth(year, month) {
  return new Date(year, month, 0).getDate();
}

/** {year, month} moved by n months. */
export function addMonths(year, month, n) {
  const i = year * 12 + (month - 1) + n;
  return { year: Math.floor(i / 12), month: (i % 12) + 1 };
}

/** Every day of a 1-based month, "YYYY-MM-01" .. "YYYY-MM-28|29|30|31". */
export function monthDays(year, month) {
  const out = [];
  for (let d = 1; d <= daysInMonth(year, month); d++) out.push(`${monthKey(year, month)}-${pad(d)}`);
  return out;
}

/** "March 2026" in the viewer's language. */
export function monthLabel(year, month) {
  return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' }).format(new Date(year, month - 1, 1, 12));
}

/** "Mar" in the viewer's language. */
export function monthShort(month) {
  return new Intl.DateTimeFormat(undefined, { month: 'short' }).format(new Date(2000, month - 1, 1, 12));
}

/** "Mon 9 Mar" style label of "YYYY-MM-DD". */
export function dayLabel(s, opts = { weekday: 'short', day: 'numeric', month: 'short' }) {
  const d = parseDay(s);
  return d ? new Intl.DateTimeFormat(undefined, opts).format(d) : s;
}

/** A timestamp (RFC 3339 with zone, as the API sends) in the viewer's zone. */
export function formatTime(iso) {
  const d = new Date(iso); // safe: the string carries its offset
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}
