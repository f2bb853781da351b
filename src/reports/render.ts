/**
 * A report in four formats: Markdown (GFM tables and footnotes), HTML (tables, SVG figures and
 * footnotes; a page of the site or a standalone file), CSV (RFC 4180) and JSON.
 */
import { html, layout, SafeHtml } from '../web/html.js';
import { figureFor, matrixOf } from './figures.js';
import {
  cellText,
  cellValue,
  heading,
  type Cell,
  type ReportResult,
  type SectionResult,
} from './run.js';

export const REPORT_FORMATS = ['html', 'md', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const FORMAT_TYPES: Readonly<Record<ReportFormat, string>> = {
  html: 'text/html',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
};

/** `markdown`, a media type, or a format name → the format. */
export function parseFormat(text: string): ReportFormat | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'markdown') return 'md';
  if ((REPORT_FORMATS as readonly string[]).includes(t)) return t as ReportFormat;
  return REPORT_FORMATS.find((f) => FORMAT_TYPES[f] === t);
}

// ---------------------------------------------------------------- Markdown

/** Escapes text for a Markdown table cell or paragraph. */
export function mdText(text: string): string {
  return text
    .replace(/\s+/gu, ' ')
    .replace(/([\\`*_[\]<>|~])/gu, '\\$1')
    .trim();
}

function mdHref(href: string): string {
  return href.replace(/[()\s<>]/gu, (c) => encodeURIComponent(c));
}

function mdCell(cell: Cell | undefined): string {
  if (cell === undefined) return '';
  switch (cell.kind) {
    case 'iri':
      return `[${mdText(cell.label)}](${mdHref(cell.href)})`;
    case 'iris':
      return cell.items.map((i) => `[${mdText(i.label)}](${mdHref(i.href)})`).join(', ');
    case 'literal':
      return mdText(cell.value);
    case 'empty':
      return '';
  }
}

function mdTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function mdSection(s: SectionResult): string {
  const out = [`## ${mdText(s.title)}`, '', mdText(s.description), ''];
  if (s.render.kind === 'matrix') {
    const m = matrixOf(s, s.render.row, s.render.col, s.render.value);
    if (m.rows.length > 0) {
      out.push(
        mdTable(
          [
            '',
            ...m.cols.map((c) =>
              c.href ? `[${mdText(c.label)}](${mdHref(c.href)})` : mdText(c.label),
            ),
          ],
          m.rows.map((r) => [
            r.href ? `[${mdText(r.label)}](${mdHref(r.href)})` : mdText(r.label),
            ...m.cols.map((c) => String(m.values.get(`${r.key}\u0000${c.key}`) ?? '')),
          ]),
        ),
        '',
      );
    }
  }
  if (s.rows.length === 0) out.push('_No rows._', '');
  else
    out.push(
      mdTable(
        [...s.columns.map(heading), 'Sources'],
        s.rows.map((r) => [
          ...s.columns.map((c) => mdCell(r.cells[c])),
          r.sources.map((n) => `[^${n}]`).join(' '),
        ]),
      ),
      '',
    );
  return out.join('\n');
}

/** The report as Markdown. */
export function renderMarkdown(r: ReportResult): string {
  const params = Object.entries(r.parameters);
  const out = [`# ${mdText(r.title)}`, '', mdText(r.description), ''];
  if (params.length > 0)
    out.push(`Parameters: ${params.map(([k, v]) => `${mdText(k)} = ${mdText(v)}`).join('; ')}`, '');
  for (const s of r.sections) out.push(mdSection(s));
  if (r.sources.length > 0) {
    out.push('## Sources', '');
    for (const src of r.sources)
      out.push(
        `[^${src.n}]: [${mdText(src.label)}](${mdHref(src.href)})${src.url === undefined ? '' : ` — <${src.url.replace(/[<>\s]/gu, encodeURIComponent)}>`}`,
      );
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- HTML

function htmlCell(cell: Cell | undefined): SafeHtml {
  if (cell === undefined) return html``;
  switch (cell.kind) {
    case 'iri':
      return html`<a href="${cell.href}" title="${cell.iri}">${cell.label}</a>`;
    case 'iris':
      return html`${cell.items.map((i, k) => html`${k > 0 ? ', ' : ''}<a href="${i.href}" title="${i.iri}">${i.label}</a>`)}`;
    case 'literal':
      return html`<span${cell.lang === undefined ? '' : html` lang="${cell.lang}"`}>${cell.value}</span>`;
    case 'empty':
      return html``;
  }
}

const STYLE = `
.report table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
.report th, .report td { border: 1px solid #d8dee4; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
.report th { background: #f6f8fa; }
.report .cite { white-space: nowrap; font-size: 0.8rem; }
.report figure.report-figure { margin: 1rem 0; overflow-x: auto; }
.report figcaption { color: #57606a; font-size: 0.85rem; }
.report svg a text { fill: #0b5cad; }
.report ol.sources { font-size: 0.85rem; }
.report .formats a { margin-right: 0.5rem; }
`;

function htmlSection(s: SectionResult): SafeHtml {
  return html`<section class="report-section" id="${`section-${s.id}`}">
<h2>${s.title}</h2>
<p>${s.description}</p>
${figureFor(s)}
${
  s.rows.length === 0
    ? html`<p><em>No rows.</em></p>`
    : html`<table><thead><tr>${s.columns.map((c) => html`<th scope="col">${heading(c)}</th>`)}<th scope="col">Sources</th></tr></thead>
<tbody>${s.rows.map(
        (r) =>
          html`<tr>${s.columns.map((c) => html`<td>${htmlCell(r.cells[c])}</td>`)}<td class="cite">${r.sources.map(
            (n) => html`<sup><a href="${`#source-${n}`}">[${n}]</a></sup>`,
          )}</td></tr>\n`,
      )}</tbody></table>`
}
</section>`;
}

/** The report's content (no page shell). */
export function reportBody(r: ReportResult, formatLinks?: SafeHtml): SafeHtml {
  const params = Object.entries(r.parameters);
  return html`<style>${new SafeHtml(STYLE)}</style>
<article class="report">
<h1>${r.title}</h1>
<p>${r.description}</p>
${params.length > 0 ? html`<p>Parameters: ${params.map(([k, v], i) => html`${i > 0 ? '; ' : ''}<code>${k}</code> = <code>${v}</code>`)}</p>` : ''}
${formatLinks ?? ''}
${r.sections.map(htmlSection)}
${
  r.sources.length > 0
    ? html`<section id="sources"><h2>Sources</h2><ol class="sources">${r.sources.map(
        (s) =>
          html`<li id="${`source-${s.n}`}"><a href="${s.href}" title="${s.iri}">${s.label}</a>${
            s.url === undefined
              ? ''
              : html` — <a class="external" href="${/^https?:/u.test(s.url) ? s.url : '#'}" rel="noopener">${s.url}</a>`
          }</li>\n`,
      )}</ol></section>`
    : ''
}
</article>`;
}

/**
 * The report as HTML: a page of the site (with its layout) or a standalone document that needs
 * nothing else (styles inline, figures inline SVG).
 */
export function renderHtml(
  r: ReportResult,
  options: { standalone?: boolean; formatLinks?: SafeHtml } = {},
): string {
  const body = reportBody(r, options.formatLinks);
  if (options.standalone !== true) return layout({ title: r.title, body });
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${r.title} · Cyber Diplomacy Graph</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; color: #1b1f24; margin: 1.5rem; } a { color: #0b5cad; }</style>
</head>
<body>
${body}
</body>
</html>
`.value;
}

// ---------------------------------------------------------------- CSV

/** One RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
export function csvField(text: string): string {
  return /[",\r\n]/u.test(text) ? `"${text.replace(/"/gu, '""')}"` : text;
}

/**
 * The report as one CSV table (RFC 4180, CRLF line ends): a `section` column, then every section's
 * columns (an IRI column followed by its label), then the row's source IRIs.
 */
export function renderCsv(r: ReportResult): string {
  const columns: Array<{ name: string; label: boolean }> = [];
  for (const s of r.sections) {
    for (const c of s.columns) {
      if (columns.some((x) => x.name === c)) continue;
      const hasIri = s.rows.some((row) => {
        const k = row.cells[c]?.kind;
        return k === 'iri' || k === 'iris';
      });
      columns.push({ name: c, label: hasIri });
    }
  }
  const header = ['section'];
  for (const c of columns) {
    header.push(c.name);
    if (c.label) header.push(`${c.name}_label`);
  }
  header.push('sources');
  const bySource = new Map(r.sources.map((s) => [s.n, s.iri]));
  const lines = [header.map(csvField).join(',')];
  for (const s of r.sections) {
    for (const row of s.rows) {
      const fields = [s.id];
      for (const c of columns) {
        const cell = s.columns.includes(c.name) ? row.cells[c.name] : undefined;
        fields.push(cellValue(cell));
        if (c.label)
          fields.push(cell?.kind === 'iri' || cell?.kind === 'iris' ? cellText(cell) : '');
      }
      fields.push(row.sources.map((n) => bySource.get(n) ?? '').join(' '));
      lines.push(fields.map(csvField).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------- JSON

/** The report as JSON: the view model, each row's sources given as IRIs as well as numbers. */
export function renderJson(r: ReportResult): string {
  const bySource = new Map(r.sources.map((s) => [s.n, s.iri]));
  return `${JSON.stringify(
    {
      ...r,
      sections: r.sections.map((s) => ({
        ...s,
        rows: s.rows.map((row) => ({
          ...row,
          sourceIris: row.sources.map((n) => bySource.get(n)),
        })),
      })),
    },
    null,
    2,
  )}\n`;
}

/** The report in a format. */
export function renderReport(
  r: ReportResult,
  format: ReportFormat,
  options: { standalone?: boolean; formatLinks?: SafeHtml } = {},
): string {
  switch (format) {
    case 'md':
      return renderMarkdown(r);
    case 'html':
      return renderHtml(r, options);
    case 'csv':
      return renderCsv(r);
    case 'json':
      return renderJson(r);
  }
}
