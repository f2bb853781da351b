/**
 * Running a report: bind its parameters, run each section's saved query, and turn the SPARQL rows
 * into a view model in which every IRI carries its label and link, and every row the footnote
 * numbers of the sources behind it.
 */
import type { QueryEngine } from '../sparql/engine.js';
import type { JsonTerm } from '../sparql/results.js';
import { iriRef, selectRows } from '../web/describe.js';
import { localPath, safeHref } from '../web/iris.js';
import type { LabelIndex } from '../web/labels.js';
import type { ReportDefinition } from './catalogue.js';
import { bindParameters, ParameterError, type RenderSpec } from './savedQueries.js';

/** An IRI with what a reader needs: its label and where to follow it. */
export interface IriRef {
  readonly iri: string;
  readonly label: string;
  readonly href: string;
}

export type Cell =
  | ({ readonly kind: 'iri' } & IriRef)
  | { readonly kind: 'iris'; readonly items: readonly IriRef[] }
  | {
      readonly kind: 'literal';
      readonly value: string;
      readonly lang?: string;
      readonly datatype?: string;
    }
  | { readonly kind: 'empty' };

export interface ReportRow {
  readonly cells: Readonly<Record<string, Cell>>;
  /** Footnote numbers of the row's sources (see `ReportResult.sources`). */
  readonly sources: readonly number[];
}

export interface SectionResult {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly render: RenderSpec;
  readonly columns: readonly string[];
  readonly rows: readonly ReportRow[];
  /** The query as run, parameters bound. */
  readonly query: string;
}

export interface SourceRef extends IriRef {
  readonly n: number;
  /** The source's own URL (schema:url), where recorded. */
  readonly url?: string;
}

export interface ReportResult {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly sections: readonly SectionResult[];
  readonly sources: readonly SourceRef[];
}

export interface RunOptions {
  readonly engine: QueryEngine;
  readonly labels: LabelIndex;
  readonly baseIri: string;
  /** Prefix for local links (default '': `/id/…` paths on this server). */
  readonly linkBase?: string;
}

const SOURCE_VARS = new Set(['source', 'sources']);
const SCHEMA_URL = 'https://schema.org/url';
/** A literal made of whitespace-separated absolute IRIs (GROUP_CONCAT of IRIs). */
const IRI_LIST = /^\s*[a-z][a-z0-9+.-]*:\S+(\s+[a-z][a-z0-9+.-]*:\S+)*\s*$/iu;

/** Short name of an IRI: after the last `#` or `/`. */
export function localName(iri: string): string {
  const m = /[#/]([^#/]+)$/u.exec(iri);
  return m?.[1] ?? iri;
}

/** Words for a variable name: `attributionsMade` → `Attributions made`. */
const HEADINGS: Readonly<Record<string, string>> = {
  gges: 'GGEs',
  oewgs: 'OEWGs',
  parisCall: 'Paris Call',
  positionInA76136: 'Position in A/76/136',
  by: 'Attributed by',
  to: 'Attributed to',
  alpha3: 'ISO alpha-3',
};
export function heading(variable: string): string {
  const known = HEADINGS[variable];
  if (known !== undefined) return known;
  const words = variable.replace(/([a-z0-9])([A-Z])/gu, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The text of a cell, for sorting, CSV labels and figure labels. */
export function cellText(cell: Cell | undefined): string {
  if (cell === undefined) return '';
  switch (cell.kind) {
    case 'iri':
      return cell.label;
    case 'iris':
      return cell.items.map((i) => i.label).join(', ');
    case 'literal':
      return cell.value;
    case 'empty':
      return '';
  }
}

/** The values of a cell as machines want them: IRIs, or the literal. */
export function cellValue(cell: Cell | undefined): string {
  if (cell === undefined) return '';
  switch (cell.kind) {
    case 'iri':
      return cell.iri;
    case 'iris':
      return cell.items.map((i) => i.iri).join(' ');
    case 'literal':
      return cell.value;
    case 'empty':
      return '';
  }
}

function termText(t: JsonTerm | undefined): string | undefined {
  return t === undefined || typeof t.value !== 'string' ? undefined : t.value;
}

/**
 * Runs a report.
 * @param report - the report's definition
 * @param params - parameter values by name (absent ones take their defaults)
 * @param options - engine, labels, base IRI
 * @throws ParameterError for a bad or unknown parameter
 */
export async function runReport(
  report: ReportDefinition,
  params: Readonly<Record<string, string>>,
  options: RunOptions,
): Promise<ReportResult> {
  for (const name of Object.keys(params)) {
    if (!report.parameters.some((p) => p.name === name))
      throw new ParameterError(
        `Unknown parameter ${name}; ${report.parameters.length === 0 ? `the report ${report.id} takes none` : `expected ${report.parameters.map((p) => p.name).join(', ')}`}.`,
      );
  }
  const { labels, baseIri } = options;
  const linkBase = (options.linkBase ?? '').replace(/\/$/u, '');
  const ref = (iri: string, label?: string): IriRef => {
    const local = localPath(iri, baseIri);
    return {
      iri,
      label: label ?? labels.label(iri) ?? localName(iri),
      href: local === undefined ? safeHref(iri) : linkBase + local,
    };
  };
  const sourceNumbers = new Map<string, number>();
  const cite = (iri: string): number => {
    let n = sourceNumbers.get(iri);
    if (n === undefined) {
      n = sourceNumbers.size + 1;
      sourceNumbers.set(iri, n);
    }
    return n;
  };

  // Bind every section first, so that a bad parameter fails before any query runs.
  const bound = report.sections.map((s) => {
    const own = Object.fromEntries(
      Object.entries(params).filter(([k]) => s.parameters.some((p) => p.name === k)),
    );
    return { section: s, query: bindParameters(s.query.query, s.parameters, own) };
  });

  const sections: SectionResult[] = [];
  for (const { section, query } of bound) {
    const res = await options.engine.query({
      query,
      form: 'SELECT',
      mediaType: 'application/sparql-results+json',
    });
    const json = JSON.parse(res.body) as {
      head: { vars?: string[] };
      results?: { bindings: Array<Record<string, JsonTerm>> };
    };
    const vars = json.head.vars ?? [];
    const columns = vars.filter(
      (v) =>
        !SOURCE_VARS.has(v) &&
        !(v.endsWith('Label') && v !== 'Label' && vars.includes(v.slice(0, -'Label'.length))),
    );
    const merged = new Map<string, { cells: Record<string, Cell>; sources: Set<number> }>();
    for (const b of json.results?.bindings ?? []) {
      const cells: Record<string, Cell> = {};
      for (const v of columns) {
        const t = b[v];
        const value = termText(t);
        if (t === undefined || value === undefined || value === '') {
          cells[v] = { kind: 'empty' };
        } else if (t.type === 'uri') {
          cells[v] = { kind: 'iri', ...ref(value, termText(b[`${v}Label`])) };
        } else if (t.type === 'literal' && IRI_LIST.test(value) && t.datatype === undefined) {
          // GROUP_CONCAT's order is the engine's: sorted, a list reads the same on every store.
          const items = value
            .trim()
            .split(/\s+/u)
            .sort()
            .map((iri) => ref(iri));
          cells[v] = items.length === 1 ? { kind: 'iri', ...items[0]! } : { kind: 'iris', items };
        } else {
          cells[v] = {
            kind: 'literal',
            value,
            ...(t['xml:lang'] === undefined ? {} : { lang: t['xml:lang'] }),
            ...(t.datatype === undefined ? {} : { datatype: t.datatype }),
          };
        }
      }
      const sources = new Set<string>();
      for (const v of SOURCE_VARS) {
        const value = termText(b[v]);
        if (value === undefined) continue;
        for (const iri of value.split(/\s+/u))
          if (/^[a-z][a-z0-9+.-]*:/iu.test(iri)) sources.add(iri);
      }
      const key = JSON.stringify(columns.map((c) => cells[c]));
      const row = merged.get(key) ?? { cells, sources: new Set<number>() };
      for (const iri of [...sources].sort()) row.sources.add(cite(iri));
      merged.set(key, row);
    }
    sections.push({
      id: section.id,
      title: section.title,
      description: section.description,
      render: section.render,
      columns,
      rows: [...merged.values()].map((r) => ({
        cells: r.cells,
        sources: [...r.sources].sort((a, b) => a - b),
      })),
      query,
    });
  }

  const urls = new Map<string, string>();
  const cited = [...sourceNumbers.keys()].filter((iri) => {
    try {
      iriRef(iri);
      return true;
    } catch {
      return false;
    }
  });
  if (cited.length > 0) {
    const rows = await selectRows(
      options.engine,
      `SELECT ?s ?url WHERE { VALUES ?s { ${cited.map(iriRef).join(' ')} } ?s <${SCHEMA_URL}> ?url }`,
    );
    for (const row of rows) {
      const s = termText(row.s);
      const url = termText(row.url);
      if (s !== undefined && url !== undefined && !urls.has(s)) urls.set(s, url);
    }
  }
  const sources: SourceRef[] = [...sourceNumbers.entries()].map(([iri, n]) => {
    const url = urls.get(iri);
    return { n, ...ref(iri), ...(url === undefined ? {} : { url }) };
  });

  const effective: Record<string, string> = {};
  for (const p of report.parameters) {
    const v = params[p.name] ?? p.default;
    if (v !== undefined) effective[p.name] = v;
  }
  return {
    id: report.id,
    title: report.title,
    description: report.description,
    parameters: effective,
    sections,
    sources,
  };
}
