/**
 * Figures for the HTML reports, drawn on the server as SVG (no script, no fonts or files fetched):
 * a heat map for a matrix, a timeline, a bar chart. All text goes through the escaping `html` tag.
 */
import { html, type SafeHtml } from '../web/html.js';
import { cellText, type Cell, type SectionResult } from './run.js';

/** A row or column head of a matrix. */
export interface Axis {
  readonly key: string;
  readonly label: string;
  readonly href?: string;
}

export interface Matrix {
  readonly rows: readonly Axis[];
  readonly cols: readonly Axis[];
  /** `rowKey\u0000colKey` → value. */
  readonly values: ReadonlyMap<string, number>;
  readonly max: number;
}

function axis(cell: Cell | undefined): Axis | undefined {
  if (cell === undefined || cell.kind === 'empty' || cell.kind === 'iris') return undefined;
  if (cell.kind === 'iri') return { key: cell.iri, label: cell.label, href: cell.href };
  return { key: cell.value, label: cell.value };
}

const collator = new Intl.Collator('en', { numeric: true });

/**
 * Counts (or sums) a section's rows into a matrix: rows in the order they first appear, columns
 * sorted by label.
 */
export function matrixOf(section: SectionResult, row: string, col: string, value?: string): Matrix {
  const rows = new Map<string, Axis>();
  const cols = new Map<string, Axis>();
  const values = new Map<string, number>();
  for (const r of section.rows) {
    const ra = axis(r.cells[row]);
    const ca = axis(r.cells[col]);
    if (ra === undefined || ca === undefined) continue;
    if (!rows.has(ra.key)) rows.set(ra.key, ra);
    if (!cols.has(ca.key)) cols.set(ca.key, ca);
    const v = value === undefined ? 1 : Number(cellText(r.cells[value]));
    const k = `${ra.key}\u0000${ca.key}`;
    values.set(k, (values.get(k) ?? 0) + (Number.isFinite(v) ? v : 0));
  }
  return {
    rows: [...rows.values()],
    cols: [...cols.values()].sort((a, b) => collator.compare(a.label, b.label)),
    values,
    max: Math.max(0, ...values.values()),
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** White to the site's accent blue. */
function shade(v: number, max: number): string {
  if (v <= 0 || max <= 0) return '#f6f8fa';
  const t = 0.25 + 0.75 * (v / max);
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * t);
  return `rgb(${mix(255, 11)},${mix(255, 92)},${mix(255, 173)})`;
}

function maybeLink(href: string | undefined, body: SafeHtml): SafeHtml {
  return href === undefined ? body : html`<a href="${href}">${body}</a>`;
}

/** A heat map of a matrix. */
export function heatMap(m: Matrix, title: string): SafeHtml {
  const cell = 26;
  const left = 310;
  const top = 100;
  const width = left + m.cols.length * cell + 120;
  const height = top + m.rows.length * cell + 40;
  return html`<figure class="report-figure"><svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<title>${title}</title>
${m.cols.map((c, j) => {
  const x = left + j * cell + cell / 2;
  return maybeLink(
    c.href,
    html`<text x="${x}" y="${top - 6}" transform="rotate(-50 ${x} ${top - 6})"><title>${c.label}</title>${truncate(c.label, 22)}</text>`,
  );
})}
${m.rows.map((r, i) => {
  const y = top + i * cell;
  return html`${maybeLink(r.href, html`<text x="${left - 6}" y="${y + cell / 2 + 4}" text-anchor="end"><title>${r.label}</title>${truncate(r.label, 44)}</text>`)}
${m.cols.map((c, j) => {
  const v = m.values.get(`${r.key}\u0000${c.key}`) ?? 0;
  return html`<rect x="${left + j * cell}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${shade(v, m.max)}"><title>${r.label} × ${c.label}: ${v}</title></rect>${
    v > 0
      ? html`<text x="${left + j * cell + (cell - 2) / 2}" y="${y + cell / 2 + 3}" text-anchor="middle" fill="${v / m.max > 0.5 ? '#fff' : '#1b1f24'}">${v}</text>`
      : ''
  }`;
})}`;
})}
</svg><figcaption>${title}: the darker the cell, the higher its value.</figcaption></figure>`;
}

interface Event {
  readonly when: number;
  readonly date: string;
  readonly label: string;
  readonly href?: string;
}

/** Years with a fraction, from xsd:date, gYearMonth or gYear lexical forms. */
export function fractionalYear(value: string): number | undefined {
  const m = /^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/u.exec(value);
  if (m?.[1] === undefined) return undefined;
  const month = m[2] === undefined ? 1 : Number(m[2]);
  const day = m[3] === undefined ? 1 : Number(m[3]);
  return Number(m[1]) + (month - 1) / 12 + (day - 1) / 365;
}

/** A timeline of a section's rows by a date column, labelled by the first IRI column. */
export function timeline(section: SectionResult, dateVar: string, title: string): SafeHtml {
  const labelVar = section.columns.find(
    (c) => c !== dateVar && section.rows.some((r) => r.cells[c]?.kind === 'iri'),
  );
  const events: Event[] = [];
  for (const r of section.rows) {
    const date = cellText(r.cells[dateVar]);
    const when = fractionalYear(date);
    if (when === undefined) continue;
    const c = labelVar === undefined ? undefined : r.cells[labelVar];
    events.push({
      when,
      date,
      label: cellText(c) || date,
      ...(c?.kind === 'iri' ? { href: c.href } : {}),
    });
  }
  events.sort((a, b) => a.when - b.when);
  if (events.length === 0) return html``;
  const first = Math.floor(events[0]!.when);
  const last = Math.floor(events[events.length - 1]!.when) + 1;
  const left = 20;
  const plot = 560;
  const top = 30;
  const lane = 20;
  const width = left + plot + 420;
  const height = top + events.length * lane + 20;
  const x = (t: number): number => left + ((t - first) / Math.max(1, last - first)) * plot;
  const years: number[] = [];
  const step = last - first > 20 ? 5 : last - first > 10 ? 2 : 1;
  for (let y = first; y <= last; y += step) years.push(y);
  return html`<figure class="report-figure"><svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<title>${title}</title>
${years.map(
  (y) =>
    html`<line x1="${x(y)}" y1="${top - 8}" x2="${x(y)}" y2="${height - 10}" stroke="#d8dee4"/><text x="${x(y)}" y="${top - 12}" text-anchor="middle" fill="#57606a">${y}</text>`,
)}
${events.map((e, i) => {
  const cx = x(e.when);
  const cy = top + i * lane + lane / 2;
  return html`<circle cx="${cx.toFixed(1)}" cy="${cy}" r="5" fill="#0b5cad"><title>${e.date}: ${e.label}</title></circle>${maybeLink(
    e.href,
    html`<text x="${(cx + 9).toFixed(1)}" y="${cy + 4}">${truncate(e.label, 70)}</text>`,
  )}`;
})}
</svg><figcaption>${title}: one line per row, placed at its date.</figcaption></figure>`;
}

/** A horizontal bar chart of a section's rows. */
export function barChart(
  section: SectionResult,
  labelVar: string,
  valueVar: string,
  title: string,
): SafeHtml {
  const bars = section.rows
    .map((r) => {
      const c = r.cells[labelVar];
      return {
        label: cellText(c) || '(none)',
        href: c?.kind === 'iri' ? c.href : undefined,
        value: Number(cellText(r.cells[valueVar])),
      };
    })
    .filter((b) => Number.isFinite(b.value));
  if (bars.length === 0) return html``;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const left = 260;
  const plot = 420;
  const bar = 22;
  const width = left + plot + 80;
  const height = bars.length * bar + 20;
  return html`<figure class="report-figure"><svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<title>${title}</title>
${bars.map((b, i) => {
  const y = 10 + i * bar;
  const w = Math.max(1, (b.value / max) * plot);
  return html`${maybeLink(b.href, html`<text x="${left - 8}" y="${y + bar / 2 + 3}" text-anchor="end"><title>${b.label}</title>${truncate(b.label, 40)}</text>`)}<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${bar - 6}" fill="#0b5cad"><title>${b.label}: ${b.value}</title></rect><text x="${(left + w + 6).toFixed(1)}" y="${y + bar / 2 + 3}">${b.value}</text>`;
})}
</svg><figcaption>${title}</figcaption></figure>`;
}

/** The figure for a section, by its render spec (tables have none). */
export function figureFor(section: SectionResult): SafeHtml {
  const spec = section.render;
  switch (spec.kind) {
    case 'matrix':
      return heatMap(matrixOf(section, spec.row, spec.col, spec.value), section.title);
    case 'timeline':
      return timeline(section, spec.date, section.title);
    case 'bar':
      return barChart(section, spec.label, spec.value, section.title);
    case 'table':
      return html``;
  }
}
