/**
 * Running the W3C SPARQL tests against the real HTTP endpoint: one dataset holding every data file
 * the tests use (each in a named graph called by its own file:// URL), one server per engine, and
 * each test as a SPARQL Protocol request whose dataset is stated with default-graph-uri /
 * named-graph-uri (or by the query's own FROM / FROM NAMED).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import oxigraph from 'oxigraph';
import sparqljs from 'sparqljs';
import { resolveConfig, type EngineName } from '../../src/config.js';
import type { DataSource } from '../../src/graph/files.js';
import { formatForFile } from '../../src/graph/files.js';
import { loadDataset, sourcesAsWritten } from '../../src/graph/load.js';
import { freeStore } from '../../src/graph/oxigraphUtil.js';
import { createLogger } from '../../src/log.js';
import { startServer, type ServableDataset } from '../../src/server.js';
import type { W3cTest } from './manifest.js';
import { compareResults, readActual, readExpected, type CompareOptions } from './results.js';

export type Status = 'pass' | 'fail' | 'skip';

export interface Outcome {
  readonly id: string;
  readonly category: string;
  readonly kind: W3cTest['kind'];
  readonly name: string;
  /** dawgt:approval (local name), or `none` for tests added without one. */
  readonly approval: string;
  readonly status: Status;
  /** Why it failed or was skipped. */
  readonly reason?: string;
  readonly httpStatus?: number;
  readonly ms?: number;
}

/** A test with what the runner worked out about its query. */
export interface PreparedTest {
  readonly test: W3cTest;
  readonly query: string | undefined;
  /** The query states its own dataset (FROM / FROM NAMED). */
  readonly hasFrom: boolean;
  readonly order: CompareOptions['order'];
  /** Set when the test cannot be run (unreadable query, data file that does not parse). */
  readonly skipReason: string | undefined;
}

export interface Prepared {
  readonly tests: readonly PreparedTest[];
  readonly dataset: ServableDataset;
  /** The same data with literals exactly as written, for engines that keep lexical forms (Comunica). */
  readonly nquadsAsWritten: string;
  /** Data files left out because they do not parse, with the parser's message. */
  readonly badFiles: ReadonlyMap<string, string>;
}

/** The empty default graph (a graph that holds nothing). */
export const EMPTY_GRAPH = 'urn:x-empty';

const LEXICAL =
  /(<[^<>"{}|^`\\\s]*>)|('''[\s\S]*?'''|"""[\s\S]*?"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|(#[^\n\r]*)|([?$][\p{L}\p{N}_]+)/gu;

/** The query with strings, comments and variables blanked out (IRIs kept), for keyword search. */
function blankOut(query: string): string {
  return query.replace(LEXICAL, (m, iri?: string, str?: string, comment?: string) =>
    iri !== undefined ? m : str !== undefined ? '""' : comment !== undefined ? ' ' : '?v',
  );
}

const KEYWORD_FROM =
  /(?<![\p{L}\p{N}_:-])FROM(?![\p{L}\p{N}_:-])\s*(?:NAMED(?![\p{L}\p{N}_:-])\s*)?(<[^<>\s]*>)?/giu;

/** Whether the query has FROM / FROM NAMED, and the IRIs of those written as IRI references. */
function fromClauses(query: string, base: string): { hasFrom: boolean; iris: string[] } {
  const matches = [...blankOut(query).matchAll(KEYWORD_FROM)];
  const iris = matches.flatMap((m) => {
    if (m[1] === undefined) return [];
    try {
      return [new URL(m[1].slice(1, -1), base).href];
    } catch {
      return [];
    }
  });
  return { hasFrom: matches.length > 0, iris };
}

/** The ORDER BY of a SELECT query, in the form the comparison needs. */
function orderOf(query: string, base: string): CompareOptions['order'] {
  let parsed: sparqljs.SparqlQuery;
  try {
    parsed = new sparqljs.Parser({ baseIRI: base, skipUngroupedVariableCheck: true }).parse(query);
  } catch {
    // sparqljs does not read everything the engines do; fall back to a position-exact check.
    return /\bORDER\s+BY\b/iu.test(blankOut(query)) ? 'position' : undefined;
  }
  if (parsed.type !== 'query' || parsed.queryType !== 'SELECT' || parsed.order === undefined)
    return undefined;
  const vars: string[] = [];
  for (const o of parsed.order) {
    const e = o.expression as { termType?: string; value?: string };
    if (e.termType !== 'Variable' || e.value === undefined) return 'position';
    vars.push(e.value);
  }
  // A key that is not projected cannot be read from the results: fall back to exact positions.
  const projected = parsed.variables.map((v) => ('termType' in v ? v.value : v.variable.value));
  if (!projected.includes('*') && vars.some((v) => !projected.includes(v))) return 'position';
  return vars;
}

/**
 * Reads the queries and loads every data file the tests use into one dataset.
 * @param tests - from `loadTests`
 */
export async function prepare(tests: readonly W3cTest[]): Promise<Prepared> {
  const files = new Set<string>();
  const prepared: Array<PreparedTest & { readonly files: readonly string[] }> = [];
  for (const test of tests) {
    let query: string | undefined;
    let skipReason = test.skipReason;
    if (skipReason === undefined) {
      try {
        query = readFileSync(test.queryFile, 'utf8').replace(/^\uFEFF/u, '');
      } catch (error) {
        skipReason = `cannot read query: ${(error as Error).message}`;
      }
    }
    const { hasFrom, iris: from } =
      query === undefined ? { hasFrom: false, iris: [] } : fromClauses(query, test.queryUrl);
    const used = [...test.data, ...test.graphData, ...from].filter((iri) =>
      iri.startsWith('file:'),
    );
    if (skipReason === undefined && (test.kind === 'evaluation' || test.kind === 'csv')) {
      for (const iri of used) files.add(iri);
    }
    const order =
      query === undefined || test.kind !== 'evaluation' ? undefined : orderOf(query, test.queryUrl);
    prepared.push({ test, query, hasFrom, order, skipReason, files: used });
  }

  const badFiles = new Map<string, string>();
  const sources: DataSource[] = [];
  for (const iri of [...files].sort()) {
    const file = fileURLToPath(iri);
    const format = formatForFile(file);
    if (!existsSync(file)) {
      badFiles.set(iri, 'file not found');
      continue;
    }
    if (format === undefined) {
      badFiles.set(iri, 'not an RDF file the loader reads');
      continue;
    }
    try {
      oxigraph.parse(readFileSync(file, 'utf8'), { format, base_iri: iri });
    } catch (error) {
      badFiles.set(iri, (error as Error).message);
      continue;
    }
    sources.push({ path: file, displayPath: path.basename(file), format, graph: iri });
  }
  const loaded = await loadDataset(sources);
  const dataset: ServableDataset = {
    nquads: loaded.store.dump({ format: 'application/n-quads' }),
    graphs: loaded.graphs,
    version: loaded.version,
    quadCount: loaded.quadCount,
  };
  freeStore(loaded.store);
  const nquadsAsWritten = await sourcesAsWritten(sources);
  return {
    dataset,
    nquadsAsWritten,
    badFiles,
    tests: prepared.map(({ files: used, ...p }) => {
      const bad = used.find(
        (f) => badFiles.has(f) && (p.test.data.includes(f) || p.test.graphData.includes(f)),
      );
      return bad === undefined || p.skipReason !== undefined
        ? p
        : {
            ...p,
            skipReason: `data file ${path.basename(bad)} cannot be loaded: ${badFiles.get(bad) ?? ''}`,
          };
    }),
  };
}

/**
 * Result formats to ask for. SPARQL JSON and N-Triples by default; set W3C_SOLUTIONS_TYPE (e.g.
 * application/sparql-results+xml, text/tab-separated-values) or W3C_GRAPH_TYPE (e.g. text/turtle)
 * to run the same tests through the endpoint's other serializers.
 */
const SOLUTIONS_TYPE = process.env.W3C_SOLUTIONS_TYPE ?? 'application/sparql-results+json';
const GRAPH_TYPE = process.env.W3C_GRAPH_TYPE ?? 'application/n-triples';
/** W3C_LEXICAL_LITERALS=1: compare literals character by character instead of by value. */
const LEXICAL_LITERALS = process.env.W3C_LEXICAL_LITERALS === '1';

function acceptFor(test: W3cTest): string {
  const ext = path.extname(test.resultFile ?? '').toLowerCase();
  if (test.kind === 'csv' || ext === '.csv') return 'text/csv';
  if (ext === '.tsv') return 'text/tab-separated-values';
  return `${SOLUTIONS_TYPE}, ${GRAPH_TYPE};q=0.9`;
}

/** The form body of the protocol request for a test. */
export function requestBody(p: PreparedTest): URLSearchParams {
  const body = new URLSearchParams();
  // A BASE ahead of the query's own prologue: relative IRIs resolve against the query file, and a
  // BASE in the query (absolute, or relative to this one) still takes precedence.
  body.set('query', `BASE <${p.test.queryUrl}> ${p.query ?? ''}`);
  if (!p.hasFrom) {
    const data = p.test.data.length > 0 ? p.test.data : [EMPTY_GRAPH];
    for (const g of data) body.append('default-graph-uri', g);
    for (const g of p.test.graphData) body.append('named-graph-uri', g);
  }
  return body;
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

async function runOne(url: string, p: PreparedTest, timeoutMs: number): Promise<Outcome> {
  const { test } = p;
  const approval =
    test.approval === undefined ? 'none' : test.approval.slice(test.approval.lastIndexOf('#') + 1);
  const base = { id: test.id, category: test.category, kind: test.kind, name: test.name, approval };
  if (p.skipReason !== undefined) return { ...base, status: 'skip', reason: p.skipReason };
  const started = performance.now();
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${url}/sparql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: acceptFor(test) },
      body: requestBody(p),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    return {
      ...base,
      status: 'fail',
      reason: `request failed: ${(error as Error).message}`,
      ms: Math.round(performance.now() - started),
    };
  }
  const ms = Math.round(performance.now() - started);
  const httpStatus = response.status;
  const done = (ok: boolean, reason?: string): Outcome => ({
    ...base,
    status: ok ? 'pass' : 'fail',
    httpStatus,
    ms,
    ...(reason === undefined ? {} : { reason }),
  });
  if (test.kind === 'negative-syntax') {
    return httpStatus === 400
      ? done(true)
      : done(
          false,
          `expected 400 for a syntax error, got ${httpStatus}${httpStatus === 200 ? '' : `: ${firstLine(text)}`}`,
        );
  }
  if (test.kind === 'positive-syntax') {
    if (httpStatus === 400) return done(false, `rejected a valid query: ${firstLine(text)}`);
    if (httpStatus >= 500) return done(false, `HTTP ${httpStatus}: ${firstLine(text)}`);
    return done(true);
  }
  if (httpStatus !== 200) return done(false, `HTTP ${httpStatus}: ${firstLine(text)}`);
  try {
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const actual = await readActual(mediaType, text);
    const expected = await readExpected(test.resultFile!);
    const verdict = compareResults(expected, actual, {
      order: p.order,
      lax: test.laxCardinality,
      lexical: LEXICAL_LITERALS,
    });
    return done(verdict.ok, verdict.message);
  } catch (error) {
    return done(false, `cannot compare: ${(error as Error).message}`);
  }
}

export interface EngineRun {
  readonly engine: EngineName;
  readonly description: string;
  readonly outcomes: readonly Outcome[];
  readonly ms: number;
}

/**
 * Starts a server for `engine` over the prepared dataset and runs every test through it.
 * @param engine - which engine
 * @param prepared - from `prepare`
 * @param concurrency - requests in flight
 */
export async function runEngine(
  engine: EngineName,
  prepared: Prepared,
  concurrency = 4,
): Promise<EngineRun> {
  const started = performance.now();
  const queryTimeoutMs = 10_000;
  const config = resolveConfig({
    engine,
    port: 0,
    host: '127.0.0.1',
    dataPaths: [process.cwd()],
    queryTimeoutMs,
    workers: 2,
    logLevel: 'silent',
  });
  const dataset =
    engine === 'comunica'
      ? { ...prepared.dataset, nquads: prepared.nquadsAsWritten }
      : prepared.dataset;
  const server = await startServer(config, createLogger('silent'), dataset);
  const outcomes: Outcome[] = new Array<Outcome>(prepared.tests.length);
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < prepared.tests.length) {
        const i = next++;
        outcomes[i] = await runOne(server.url, prepared.tests[i]!, queryTimeoutMs * 2);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
  } finally {
    await server.close();
  }
  return {
    engine,
    description: server.engine.description,
    outcomes,
    ms: Math.round(performance.now() - started),
  };
}
