/**
 * Expected and actual SPARQL results in one model, and their comparison: solution sequences and
 * graphs up to blank-node isomorphism, literals by term equality (language tags case-insensitively).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import type * as RDF from '@rdfjs/types';
import { DataFactory, Parser as N3Parser } from 'n3';
import oxigraph from 'oxigraph';
import { isomorphic } from 'rdf-isomorphic';
import { SparqlJsonParser } from 'sparqljson-parse';
import { SparqlXmlParser } from 'sparqlxml-parse';

const namedNode = (iri: string): RDF.NamedNode => DataFactory.namedNode(iri);
const blankNode = (label: string): RDF.BlankNode => DataFactory.blankNode(label);
const literal = (value: string, langOrType?: string | RDF.NamedNode): RDF.Literal =>
  DataFactory.literal(value, langOrType);
const quad = (s: RDF.Quad_Subject, p: RDF.Quad_Predicate, o: RDF.Quad_Object): RDF.Quad =>
  DataFactory.quad(s, p, o);

const RS = 'http://www.w3.org/2001/sw/DataAccess/tests/result-set#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const XSD = 'http://www.w3.org/2001/XMLSchema#';

/** One solution: variable name (without `?`) → term. */
export type Solution = ReadonlyMap<string, RDF.Term>;

export type Results =
  | { readonly type: 'boolean'; readonly value: boolean }
  | {
      readonly type: 'solutions';
      /** Projected variables, when the format states them. */
      readonly variables: readonly string[] | undefined;
      readonly solutions: readonly Solution[];
      /** True when the order of `solutions` is meaningful (a sequence format or rs:index). */
      readonly ordered: boolean;
    }
  | { readonly type: 'graph'; readonly quads: readonly RDF.Quad[] };

/** How to compare two solution sequences. */
export interface CompareOptions {
  /**
   * The query's ORDER BY: variable names whose values define ties (solutions with equal keys may
   * come in any order), `'position'` when the keys are expressions (every position must match), or
   * undefined when the query has no ORDER BY.
   */
  readonly order: readonly string[] | 'position' | undefined;
  /** mf:LaxCardinality: compare solutions as sets. */
  readonly lax: boolean;
  /**
   * Compare literals by lexical form instead of by value (numeric, boolean and date/time literals
   * are otherwise compared in canonical form, as the test suite's rules allow).
   */
  readonly lexical?: boolean;
}

export interface Verdict {
  readonly ok: boolean;
  readonly message?: string;
}

// ---------------------------------------------------------------------------------------------
// Terms

const INTEGER_TYPES = new Set(
  [
    'integer',
    'long',
    'int',
    'short',
    'byte',
    'nonNegativeInteger',
    'nonPositiveInteger',
    'negativeInteger',
    'positiveInteger',
    'unsignedLong',
    'unsignedInt',
    'unsignedShort',
    'unsignedByte',
  ].map((t) => `${XSD}${t}`),
);

/**
 * The canonical lexical form of a literal of a numeric, boolean or date/time type, so literals are
 * compared by value as the test suite prescribes ("equal literal nodes that are compared by value;
 * test runners may convert lexical form to canonical form"). Other and ill-typed literals keep their
 * lexical form.
 */
export function canonicalLexical(value: string, datatype: string): string {
  const v = value.trim();
  if (INTEGER_TYPES.has(datatype)) {
    return /^[+-]?\d+$/u.test(v) ? BigInt(v).toString() : value;
  }
  if (datatype === `${XSD}decimal`) {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/u.exec(v);
    if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return value;
    const int = (m[2] ?? '').replace(/^0+/u, '') || '0';
    const frac = (m[3] ?? '').replace(/0+$/u, '');
    const sign = m[1] === '-' && (int !== '0' || frac !== '') ? '-' : '';
    return `${sign}${int}.${frac || '0'}`;
  }
  if (datatype === `${XSD}double` || datatype === `${XSD}float`) {
    if (!/^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN)$/u.test(v)) return value;
    let n = v.endsWith('INF') ? (v.startsWith('-') ? -Infinity : Infinity) : Number(v);
    if (datatype === `${XSD}float`) n = Math.fround(n);
    return Number.isNaN(n)
      ? 'NaN'
      : n === Infinity
        ? 'INF'
        : n === -Infinity
          ? '-INF'
          : Object.is(n, -0)
            ? '-0'
            : String(n);
  }
  if (datatype === `${XSD}boolean`) {
    return v === '1' || v === 'true' ? 'true' : v === '0' || v === 'false' ? 'false' : value;
  }
  if (datatype === `${XSD}dateTime` || datatype === `${XSD}date` || datatype === `${XSD}time`) {
    return v
      .replace(/(\.\d*?)0+(?=$|[Z+-])/u, '$1')
      .replace(/\.(?=$|[Z+-])/u, '')
      .replace(/[+-]00:00$/u, 'Z');
  }
  return value;
}

/** Rebuilds a term with N3's factory: language tags lower-cased, literals of known types in
 * canonical form, blank nodes namespaced. */
function norm(term: RDF.Term, bnodePrefix: string, lexical = false): RDF.Term {
  switch (term.termType) {
    case 'NamedNode':
      return namedNode(term.value);
    case 'BlankNode':
      return blankNode(`${bnodePrefix}${term.value}`);
    case 'Literal':
      return term.language !== ''
        ? literal(term.value, term.language.toLowerCase())
        : literal(
            lexical ? term.value : canonicalLexical(term.value, term.datatype.value),
            namedNode(term.datatype.value),
          );
    default:
      return term;
  }
}

function normQuad(q: RDF.Quad, prefix: string, lexical: boolean): RDF.Quad {
  return quad(
    norm(q.subject, prefix) as RDF.Quad_Subject,
    norm(q.predicate, prefix) as RDF.Quad_Predicate,
    norm(q.object, prefix, lexical) as RDF.Quad_Object,
  );
}

/** A term in N-Triples-like syntax, for messages and keys. */
export function termToString(term: RDF.Term | undefined): string {
  if (term === undefined) return 'UNDEF';
  switch (term.termType) {
    case 'NamedNode':
      return `<${term.value}>`;
    case 'BlankNode':
      return `_:${term.value}`;
    case 'Literal': {
      const value = JSON.stringify(term.value);
      if (term.language !== '') return `${value}@${term.language}`;
      if (term.datatype.value === `${XSD}string`) return value;
      return `${value}^^<${term.datatype.value}>`;
    }
    default:
      return `?${term.value}`;
  }
}

function fromOxigraph(q: oxigraph.Quad): RDF.Quad {
  // Oxigraph's terms follow RDF/JS; rebuild them with N3's factory so `equals` works across libraries.
  return quad(
    norm(q.subject, '') as RDF.Quad_Subject,
    norm(q.predicate, '') as RDF.Quad_Predicate,
    norm(q.object, '', true) as RDF.Quad_Object,
  );
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Parses RDF text (Turtle, N-Triples, RDF/XML) into triples. */
export function parseGraph(text: string, mediaType: string, baseIri: string): RDF.Quad[] {
  if (mediaType !== 'text/turtle' && mediaType !== 'application/n-triples') {
    return oxigraph.parse(text, { format: mediaType, base_iri: baseIri }).map(fromOxigraph);
  }
  return new N3Parser({ format: mediaType, baseIRI: baseIri }).parse(text);
}

/** Reads a result graph in the `rs:` vocabulary, or returns it as a plain graph. */
function fromResultGraph(quads: readonly RDF.Quad[]): Results {
  const bySubject = new Map<string, RDF.Quad[]>();
  const key = (t: RDF.Term): string => `${t.termType}:${t.value}`;
  for (const q of quads) {
    const list = bySubject.get(key(q.subject));
    if (list === undefined) bySubject.set(key(q.subject), [q]);
    else list.push(q);
  }
  const values = (s: RDF.Term, p: string): RDF.Term[] =>
    (bySubject.get(key(s)) ?? []).filter((q) => q.predicate.value === p).map((q) => q.object);
  const resultSet = quads.find(
    (q) => q.predicate.value === RDF_TYPE && q.object.value === `${RS}ResultSet`,
  )?.subject;
  if (resultSet === undefined) return { type: 'graph', quads };
  const bool = values(resultSet, `${RS}boolean`)[0];
  if (bool !== undefined)
    return { type: 'boolean', value: bool.value === 'true' || bool.value === '1' };
  const variables = values(resultSet, `${RS}resultVariable`).map((t) => t.value);
  let ordered = false;
  const rows = values(resultSet, `${RS}solution`).map((s) => {
    const solution = new Map<string, RDF.Term>();
    for (const b of values(s, `${RS}binding`)) {
      const variable = values(b, `${RS}variable`)[0];
      const value = values(b, `${RS}value`)[0];
      if (variable !== undefined && value !== undefined) solution.set(variable.value, value);
    }
    const index = values(s, `${RS}index`)[0];
    if (index !== undefined) ordered = true;
    return {
      solution,
      index: index === undefined ? Number.POSITIVE_INFINITY : Number(index.value),
    };
  });
  rows.sort((a, b) => a.index - b.index);
  return {
    type: 'solutions',
    variables: variables.length > 0 ? variables : undefined,
    solutions: rows.map((r) => r.solution),
    ordered,
  };
}

interface JsonDoc {
  head?: { vars?: string[] };
  boolean?: boolean;
  results?: { bindings?: unknown[] };
}

/** Parses SPARQL 1.1 JSON results. */
export function parseJsonResults(text: string): Results {
  const doc = JSON.parse(text) as JsonDoc;
  if (typeof doc.boolean === 'boolean') return { type: 'boolean', value: doc.boolean };
  const parser = new SparqlJsonParser({
    dataFactory: DataFactory,
    prefixVariableQuestionMark: false,
  });
  const bindings = parser.parseJsonResults(doc);
  return {
    type: 'solutions',
    variables: doc.head?.vars ?? [],
    solutions: bindings.map((b) => new Map(Object.entries(b))),
    ordered: true,
  };
}

/** Parses SPARQL Query Results XML. */
export async function parseXmlResults(text: string): Promise<Results> {
  const parser = new SparqlXmlParser({
    dataFactory: DataFactory,
    prefixVariableQuestionMark: false,
  });
  if (/<boolean>/u.test(text)) {
    return { type: 'boolean', value: await parser.parseXmlBooleanStream(Readable.from([text])) };
  }
  return new Promise<Results>((resolve, reject) => {
    let variables: string[] = [];
    const solutions: Solution[] = [];
    const stream = parser.parseXmlResultsStream(Readable.from([text]));
    stream.on('variables', (vars: RDF.Variable[]) => {
      variables = vars.map((v) => v.value);
    });
    stream.on('data', (b: Record<string, RDF.Term>) => solutions.push(new Map(Object.entries(b))));
    stream.on('error', reject);
    stream.on('end', () => resolve({ type: 'solutions', variables, solutions, ordered: true }));
  });
}

/** Splits CSV text (RFC 4180) into rows of fields. */
export function splitCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * An ASK result in CSV/TSV, which the formats do not define: read the common convention of one
 * column named `_askResult` holding `true` or `false`.
 */
function askResult(header: readonly string[], rows: readonly string[]): Results | undefined {
  if (header.length !== 1 || header[0] !== '_askResult' || rows.length !== 1) return undefined;
  const value = rows[0]?.trim();
  return value === 'true' || value === 'false'
    ? { type: 'boolean', value: value === 'true' }
    : undefined;
}

/**
 * Parses SPARQL CSV results. CSV is lossy: every value becomes a plain string, except `_:label`,
 * read as a blank node; an empty field is read as unbound.
 */
export function parseCsvResults(text: string): Results {
  const [header = [], ...rows] = splitCsv(text);
  const ask = askResult(
    header,
    rows.map((r) => r.join(',')),
  );
  if (ask !== undefined) return ask;
  const solutions = rows.map((fields) => {
    const solution = new Map<string, RDF.Term>();
    header.forEach((name, i) => {
      const value = fields[i] ?? '';
      if (value === '') return;
      solution.set(name, value.startsWith('_:') ? blankNode(value.slice(2)) : literal(value));
    });
    return solution;
  });
  return { type: 'solutions', variables: header, solutions, ordered: true };
}

/**
 * Parses SPARQL TSV results, whose fields are Turtle terms: all rows are written as one Turtle
 * document, so blank-node labels keep their meaning across rows.
 */
export function parseTsvResults(text: string): Results {
  const lines = text.split(/\r?\n/u);
  if (lines.at(-1) === '') lines.pop();
  const header = (lines[0] ?? '').split('\t').map((v) => v.replace(/^[?$]/u, ''));
  const ask = askResult(header, lines.slice(1));
  if (ask !== undefined) return ask;
  let turtle = '';
  lines.slice(1).forEach((line, row) => {
    turtle += `<urn:row:${row}> <urn:row> ${row} .\n`;
    line.split('\t').forEach((field, i) => {
      if (field.trim() !== '') turtle += `<urn:row:${row}> <urn:var:${i}> ${field.trim()} .\n`;
    });
  });
  const quads = new N3Parser({ format: 'text/turtle' }).parse(turtle);
  const solutions = lines.slice(1).map(() => new Map<string, RDF.Term>());
  for (const q of quads) {
    if (!q.predicate.value.startsWith('urn:var:')) continue;
    const row = Number(q.subject.value.slice('urn:row:'.length));
    const name = header[Number(q.predicate.value.slice('urn:var:'.length))];
    if (name !== undefined) solutions[row]?.set(name, q.object);
  }
  return { type: 'solutions', variables: header.filter((h) => h !== ''), solutions, ordered: true };
}

/** The media type of an RDF file by extension. */
function graphTypeOf(file: string): string | undefined {
  switch (path.extname(file).toLowerCase()) {
    case '.ttl':
      return 'text/turtle';
    case '.nt':
      return 'application/n-triples';
    case '.rdf':
      return 'application/rdf+xml';
    default:
      return undefined;
  }
}

/**
 * Reads an expected-result file: .srx, .srj, .csv, .tsv, or an RDF graph (.ttl, .nt, .rdf) that is
 * either a result set in the `rs:` vocabulary or a CONSTRUCT/DESCRIBE result.
 */
export async function readExpected(file: string): Promise<Results> {
  const text = readFileSync(file, 'utf8');
  const ext = path.extname(file).toLowerCase();
  if (ext === '.srx') return parseXmlResults(text);
  if (ext === '.srj') return parseJsonResults(text);
  if (ext === '.csv') return parseCsvResults(text);
  if (ext === '.tsv') return parseTsvResults(text);
  const type = graphTypeOf(file);
  if (type === undefined) throw new Error(`unknown result format: ${path.basename(file)}`);
  return fromResultGraph(parseGraph(text, type, pathToFileURL(file).href));
}

/**
 * Reads an HTTP response body by its media type.
 * @param mediaType - the response's Content-Type without parameters
 * @param body - the response text
 */
export function readActual(mediaType: string, body: string): Promise<Results> | Results {
  switch (mediaType) {
    case 'application/sparql-results+json':
      return parseJsonResults(body);
    case 'application/sparql-results+xml':
      return parseXmlResults(body);
    case 'text/csv':
      return parseCsvResults(body);
    case 'text/tab-separated-values':
      return parseTsvResults(body);
    case 'application/n-triples':
    case 'text/turtle':
    case 'application/rdf+xml':
    case 'application/ld+json':
    case 'application/n-quads':
    case 'application/trig':
      return { type: 'graph', quads: parseGraph(body, mediaType, 'urn:x-base:') };
    default:
      throw new Error(`unexpected response media type ${mediaType}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison

function solutionKey(s: Solution): string {
  return [...s.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${termToString(v)}`)
    .join(' ');
}

/** Ranks for ordered comparison: solutions with equal ORDER BY keys share a rank. */
function ranks(solutions: readonly Solution[], order: readonly string[] | 'position'): number[] {
  if (order === 'position') return solutions.map((_, i) => i);
  const out: number[] = [];
  let rank = 0;
  let previous: string | undefined;
  for (const s of solutions) {
    const key = order.map((v) => termToString(s.get(v))).join(' ');
    if (previous !== undefined && key !== previous) rank++;
    previous = key;
    out.push(rank);
  }
  return out;
}

/**
 * Turns a solution sequence into a graph: one blank node per solution, one triple per binding,
 * and (for ordered comparison) its rank. Values are already normalized (see `norm`), their blank
 * nodes prefixed so they cannot meet the solution nodes `s_<n>`.
 */
function solutionsToGraph(
  solutions: readonly Solution[],
  rankOf: readonly number[] | undefined,
): RDF.Quad[] {
  const quads: RDF.Quad[] = [];
  solutions.forEach((s, i) => {
    const node = blankNode(`s_${i}`);
    quads.push(quad(node, namedNode('urn:x-w3c:solution'), literal('')));
    if (rankOf !== undefined) {
      quads.push(
        quad(
          node,
          namedNode('urn:x-w3c:rank'),
          literal(String(rankOf[i]), namedNode(`${XSD}integer`)),
        ),
      );
    }
    for (const [name, value] of s) {
      quads.push(quad(node, namedNode(`urn:x-w3c:var:${name}`), value as RDF.Quad_Object));
    }
  });
  return quads;
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function preview(solutions: readonly Solution[], max = 8): string {
  const lines = solutions.slice(0, max).map((s) => `  { ${solutionKey(s)} }`);
  if (solutions.length > max) lines.push(`  … ${solutions.length - max} more`);
  return lines.join('\n');
}

function quadToString(q: RDF.Quad): string {
  return `${termToString(q.subject)} ${termToString(q.predicate)} ${termToString(q.object)} .`;
}

/** Why two solution multisets differ, in a few lines. */
function describeDifference(expected: readonly Solution[], actual: readonly Solution[]): string {
  const count = (list: readonly Solution[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const s of list) m.set(solutionKey(s), (m.get(solutionKey(s)) ?? 0) + 1);
    return m;
  };
  const e = count(expected);
  const a = count(actual);
  const missing = [...e].filter(([k, n]) => (a.get(k) ?? 0) < n).map(([k]) => `  - { ${k} }`);
  const extra = [...a].filter(([k, n]) => (e.get(k) ?? 0) < n).map(([k]) => `  + { ${k} }`);
  const hasBnodes = [...expected, ...actual].some((s) =>
    [...s.values()].some((t) => t.termType === 'BlankNode'),
  );
  return (
    `expected ${expected.length} solution(s), got ${actual.length}` +
    (hasBnodes ? ' (blank-node labels differ by design; compared up to isomorphism)' : '') +
    `\n${[...missing.slice(0, 8), ...extra.slice(0, 8)].join('\n')}\nexpected:\n${preview(expected)}\nactual:\n${preview(actual)}`
  );
}

/**
 * Compares an actual result with the expected one.
 * @param expected - from the test's result file
 * @param actual - from the endpoint's response
 * @param options - the query's ORDER BY and the test's cardinality rule
 */
export function compareResults(
  expected: Results,
  actual: Results,
  options: CompareOptions,
): Verdict {
  const lexical = options.lexical === true;
  if (expected.type === 'boolean') {
    if (actual.type !== 'boolean')
      return { ok: false, message: `expected a boolean (${expected.value}), got ${actual.type}` };
    return actual.value === expected.value
      ? { ok: true }
      : { ok: false, message: `expected ${expected.value}, got ${actual.value}` };
  }
  if (expected.type === 'graph') {
    if (actual.type !== 'graph')
      return { ok: false, message: `expected a graph, got ${actual.type}` };
    const e = dedupe(
      expected.quads.map((q) => normQuad(q, 'e_', lexical)),
      quadToString,
    );
    const a = dedupe(
      actual.quads.map((q) => normQuad(q, 'a_', lexical)),
      quadToString,
    );
    if (e.length === a.length && isomorphic(e, a)) return { ok: true };
    return {
      ok: false,
      message:
        `graphs are not isomorphic: expected ${e.length} triple(s), got ${a.length}\nexpected:\n` +
        e
          .slice(0, 10)
          .map((q) => `  ${quadToString(q)}`)
          .join('\n') +
        '\nactual:\n' +
        a
          .slice(0, 10)
          .map((q) => `  ${quadToString(q)}`)
          .join('\n'),
    };
  }
  if (actual.type !== 'solutions')
    return { ok: false, message: `expected solutions, got ${actual.type}` };
  if (expected.variables !== undefined) {
    const e = [...expected.variables].sort();
    const a = [...(actual.variables ?? [])].sort();
    if (e.join(' ') !== a.join(' ')) {
      return { ok: false, message: `expected variables [${e.join(', ')}], got [${a.join(', ')}]` };
    }
  }
  const normSolution = (s: Solution, prefix: string): Solution =>
    new Map([...s].map(([k, v]) => [k, norm(v, prefix, lexical)] as const));
  let e = expected.solutions.map((s) => normSolution(s, 'e_'));
  let a = actual.solutions.map((s) => normSolution(s, 'a_'));
  if (options.lax) {
    e = dedupe(e, solutionKey);
    a = dedupe(a, solutionKey);
  }
  if (e.length !== a.length) return { ok: false, message: describeDifference(e, a) };
  if (!isomorphic(solutionsToGraph(e, undefined), solutionsToGraph(a, undefined))) {
    return { ok: false, message: describeDifference(e, a) };
  }
  if (options.order !== undefined && expected.ordered && actual.ordered && !options.lax) {
    const ordered = isomorphic(
      solutionsToGraph(e, ranks(e, options.order)),
      solutionsToGraph(a, ranks(a, options.order)),
    );
    if (!ordered) {
      return {
        ok: false,
        message: `same solutions, wrong order (ORDER BY ${options.order === 'position' ? '<expressions>' : options.order.map((v) => `?${v}`).join(' ')})\nexpected:\n${preview(e, 12)}\nactual:\n${preview(a, 12)}`,
      };
    }
  }
  return { ok: true };
}
