/**
 * The saved-query catalogue: `queries/*.rq`, each with header comments
 * (`# title:`, `# description:`, `# parameters:`, `# report:`). It feeds the query UI's examples,
 * `/.well-known/sparql-examples` and (later) the reports.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface SavedQuery {
  /** File name without `.rq`, e.g. `norms`. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The raw `# parameters:` header, if any. */
  readonly parameters: string;
  /** The raw `# report:` header, if any. */
  readonly report: string;
  /** The query text, headers included (they are SPARQL comments). */
  readonly query: string;
}

/**
 * Reads the header comments at the top of a saved query.
 * @param id - the query's id
 * @param text - the file's text
 */
export function parseSavedQuery(id: string, text: string): SavedQuery {
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/u)) {
    const m = /^#\s*([a-z-]+):\s*(.*)$/iu.exec(line);
    if (m?.[1] !== undefined) headers[m[1].toLowerCase()] = (m[2] ?? '').trim();
    else if (line.trim() !== '' && !line.startsWith('#')) break;
  }
  return {
    id,
    title: headers.title ?? id,
    description: headers.description ?? '',
    parameters: headers.parameters ?? '',
    report: headers.report ?? '',
    query: text,
  };
}

/**
 * Loads every `*.rq` in a directory, sorted by id; an absent directory gives an empty catalogue.
 * @param dir - the queries directory
 */
export async function loadSavedQueries(dir: string): Promise<SavedQuery[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const out: SavedQuery[] = [];
  for (const name of names.filter((n) => n.endsWith('.rq')).sort()) {
    out.push(parseSavedQuery(name.slice(0, -3), await fs.readFile(path.join(dir, name), 'utf8')));
  }
  return out;
}

/** The types a saved query's parameter can have. */
export const PARAMETER_TYPES = ['iri', 'string', 'integer', 'decimal', 'date', 'boolean'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** One parameter from a `# parameters:` header. */
export interface QueryParameter {
  readonly name: string;
  readonly type: ParameterType;
  /** The default value, as the user would type it (an IRI without `<>`, a bare literal). */
  readonly default?: string;
}

/** A parameter value that cannot be bound (unknown name, wrong type, unsafe IRI). */
export class ParameterError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ParameterError';
  }
}

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Parses a `# parameters:` header: `none`, or a comma-separated list of
 * `name (type[, default VALUE])`, e.g. `state (IRI, default https://w3id.org/cyber-diplomacy/id/state/FRA)`.
 * @param header - the header's text
 * @throws ParameterError on a malformed entry or an unknown type
 */
export function parseParameters(header: string): QueryParameter[] {
  const text = header.trim();
  if (text === '' || /^none$/iu.test(text)) return [];
  return splitTopLevel(text).map((entry) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?$/u.exec(entry);
    if (m?.[1] === undefined) throw new ParameterError(`Malformed parameter: ${entry}`);
    const name = m[1];
    const inner = m[2] ?? 'string';
    const comma = inner.indexOf(',');
    const typePart = (comma < 0 ? inner : inner.slice(0, comma)).trim();
    const type = typePart.toLowerCase() as ParameterType;
    if (!PARAMETER_TYPES.includes(type))
      throw new ParameterError(`Parameter ${name}: unknown type ${typePart}.`);
    const defaultPart = comma < 0 ? '' : inner.slice(comma + 1).trim();
    const dm = /^default\s+(.*)$/iu.exec(defaultPart);
    const value = dm?.[1]?.trim().replace(/^"(.*)"$/u, '$1');
    return value === undefined ? { name, type } : { name, type, default: value };
  });
}

/** How a query's rows are drawn, from its `# report:` header. */
export type RenderSpec =
  | { readonly kind: 'table' }
  | { readonly kind: 'matrix'; readonly row: string; readonly col: string; readonly value?: string }
  | { readonly kind: 'timeline'; readonly date: string }
  | { readonly kind: 'bar'; readonly label: string; readonly value: string };

/**
 * Parses a `# report:` header: `table`, `matrix ROWVAR COLVAR [VALUEVAR]`, `timeline DATEVAR` or
 * `bar LABELVAR VALUEVAR` (variables with or without `?`); anything else is a table.
 * @param header - the header's text
 */
export function parseRenderSpec(header: string): RenderSpec {
  const words = header
    .trim()
    .split(/\s+/u)
    .map((w) => w.replace(/^\?/u, ''));
  const [kind, a, b, c] = words;
  if (kind === 'matrix' && a !== undefined && b !== undefined)
    return c === undefined ? { kind, row: a, col: b } : { kind, row: a, col: b, value: c };
  if (kind === 'timeline' && a !== undefined) return { kind, date: a };
  if (kind === 'bar' && a !== undefined && b !== undefined) return { kind, label: a, value: b };
  return { kind: 'table' };
}

const XSD = 'http://www.w3.org/2001/XMLSchema#';

/** Escapes a string for a SPARQL `"…"` literal. */
export function sparqlString(value: string): string {
  return `"${value.replace(/[\\"\n\r\t]/gu, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c)}"`;
}

/**
 * The RDF term, in SPARQL syntax, for a parameter value: IRIs checked (absolute, no characters that
 * could leave `<…>`), literals escaped and typed.
 * @throws ParameterError when the value does not fit the type
 */
export function parameterTerm(param: QueryParameter, value: string): string {
  switch (param.type) {
    case 'iri': {
      let ok = false;
      try {
        ok = /^[a-z][a-z0-9+.-]*:/iu.test(value) && new URL(value).href !== '';
      } catch {
        ok = false;
      }
      // eslint-disable-next-line no-control-regex -- IRIs exclude control characters by definition
      if (!ok || /[<>"{}|^`\\\u0000-\u0020]/u.test(value))
        throw new ParameterError(`Parameter ${param.name}: not an absolute IRI: ${value}`);
      return `<${value}>`;
    }
    case 'integer':
      if (!/^[+-]?\d{1,18}$/u.test(value))
        throw new ParameterError(`Parameter ${param.name}: not an integer: ${value}`);
      return `${sparqlString(value)}^^<${XSD}integer>`;
    case 'decimal':
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/u.test(value))
        throw new ParameterError(`Parameter ${param.name}: not a decimal: ${value}`);
      return `${sparqlString(value)}^^<${XSD}decimal>`;
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/u.test(value) || Number.isNaN(Date.parse(value)))
        throw new ParameterError(`Parameter ${param.name}: not a date (YYYY-MM-DD): ${value}`);
      return `${sparqlString(value)}^^<${XSD}date>`;
    case 'boolean':
      if (value !== 'true' && value !== 'false')
        throw new ParameterError(`Parameter ${param.name}: not true or false: ${value}`);
      return `${sparqlString(value)}^^<${XSD}boolean>`;
    case 'string':
      return sparqlString(value);
  }
}

/**
 * Binds parameter values into a query as RDF terms, never as raw text: a `VALUES ?name { … }`
 * block in the query (its default) is replaced by one holding the term, or such a block is
 * injected at the start of the outermost `WHERE { }`.
 * @param query - the query text
 * @param params - the query's declared parameters
 * @param values - name → value as typed by the user; absent names take their defaults
 * @throws ParameterError for an unknown name, a missing value or a value of the wrong shape
 */
export function bindParameters(
  query: string,
  params: readonly QueryParameter[],
  values: Readonly<Record<string, string>>,
): string {
  for (const name of Object.keys(values)) {
    if (!params.some((p) => p.name === name))
      throw new ParameterError(
        `Unknown parameter ${name}; ${params.length === 0 ? 'this query takes none' : `expected ${params.map((p) => p.name).join(', ')}`}.`,
      );
  }
  let text = query;
  for (const param of params) {
    const value = values[param.name] ?? param.default;
    if (value === undefined) throw new ParameterError(`Parameter ${param.name} is required.`);
    const block = `VALUES ?${param.name} { ${parameterTerm(param, value)} }`;
    // Comment lines are blanked (same length) so that their text is never matched.
    const code = text.replace(/^[ \t]*#.*$/gmu, (line) => ' '.repeat(line.length));
    const existing = new RegExp(`VALUES\\s+\\?${param.name}\\s*\\{[^{}]*\\}`, 'u').exec(code);
    if (existing !== null) {
      text =
        text.slice(0, existing.index) + block + text.slice(existing.index + existing[0].length);
      continue;
    }
    const where = /\bWHERE\s*\{/iu.exec(code) ?? /\{/u.exec(code);
    if (where === null) throw new ParameterError('The query has no WHERE clause to bind into.');
    const at = where.index + where[0].length;
    text = `${text.slice(0, at)}\n  ${block}\n${text.slice(at)}`;
  }
  return text;
}
