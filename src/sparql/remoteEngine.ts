/**
 * A QueryEngine that forwards each query to a remote SPARQL 1.1 store and gives back the same
 * serialized answers the embedded engines give: SPARQL JSON asked for and re-serialized in the
 * negotiated format, graphs asked for as N-Triples; the row cap, the time limit and the SERVICE
 * allowlist applied here, whatever the store's own settings.
 *
 * What differs between stores is normalised here, so answers match the embedded store's:
 * - typed literals come back in the canonical form Oxigraph gives them (Virtuoso writes
 *   `"1"^^xsd:boolean` for true and `"1e+06"^^xsd:double` for a million);
 * - Virtuoso's `typed-literal` JSON type and `nodeID://` blank-node labels are made standard;
 * - Virtuoso's union default graph also holds its own system graphs: queries without a dataset of
 *   their own get `DEFINE input:default-graph-exclude` / `input:named-graph-exclude` pragmas for
 *   every graph that is not ours (the load manifest, Virtuoso's graphs, anyone else's);
 * - Virtuoso's DESCRIBE is asked for the concise bounded description, which is what Oxigraph gives.
 */
import oxigraph from 'oxigraph';
import { freeStore } from '../graph/oxigraphUtil.js';
import type { RemoteStore } from '../graph/remoteStore.js';
import { StoreRequestError, StoreUnavailableError } from '../graph/remoteStore.js';
import { HttpError } from '../errors.js';
import type { QueryEngine, QueryOptions, QueryRequest, QueryResponse } from './engine.js';
import { inspectQuery, withDataset } from './inspect.js';
import { graphConstantsAsValues, plainStringLiterals } from './rewrite.js';
import { capTriples, toCsv, toTsv, toXml, type JsonResults, type JsonTerm } from './results.js';
import { convertNTriples } from './executor.js';

const XSD = 'http://www.w3.org/2001/XMLSchema#';

/** Datatypes whose lexical forms stores canonicalise differently; made Oxigraph's. */
const CANONICALISED = new Set(
  [
    'boolean',
    'integer',
    'decimal',
    'double',
    'float',
    'int',
    'long',
    'short',
    'byte',
    'nonNegativeInteger',
    'nonPositiveInteger',
    'negativeInteger',
    'positiveInteger',
    'unsignedInt',
    'unsignedLong',
    'unsignedShort',
    'unsignedByte',
    'dateTime',
    'date',
    'time',
  ].map((t) => `${XSD}${t}`),
);

export interface RemoteEngineOptions {
  readonly store: RemoteStore;
  readonly maxRows: number;
  /** Deadline when a query gives none. */
  readonly defaultTimeoutMs: number;
  /**
   * Graphs left out of the union default graph and of `GRAPH ?g` (Virtuoso only, where they are
   * stated with pragmas): the store's own graphs and anything that is not part of our dataset.
   */
  readonly excludeGraphs: readonly string[];
  /**
   * Our graphs: stated as the query's dataset (FROM / FROM NAMED) when Virtuoso's compiler fails on
   * the exclusion pragmas (SQ200 "Stack Overflow": aggregates with NOT EXISTS, for one).
   */
  readonly graphs?: readonly string[];
  /** Answers queries with SERVICE (federation); without it they are refused. */
  readonly federation?: QueryEngine;
}

/**
 * Typed literals in the form Oxigraph stores them (one scratch store per answer, only when an
 * answer holds such literals).
 * @param literals - `value\u0000datatype` keys
 * @returns key → canonical value and datatype
 */
export function canonicalLiterals(
  literals: ReadonlySet<string>,
): Map<string, { value: string; datatype: string }> {
  const out = new Map<string, { value: string; datatype: string }>();
  if (literals.size === 0) return out;
  const keys = [...literals];
  const store = new oxigraph.Store();
  try {
    for (const [i, key] of keys.entries()) {
      const [value = '', datatype = ''] = key.split('\u0000');
      try {
        store.add(
          oxigraph.quad(
            oxigraph.namedNode(`urn:x-cdg:literal:${i}`),
            oxigraph.namedNode('urn:x-cdg:value'),
            oxigraph.literal(value, oxigraph.namedNode(datatype)),
            oxigraph.defaultGraph(),
          ),
        );
      } catch {
        // Not a valid value of its type: keep it as the store wrote it.
      }
    }
    // Oxigraph canonicalises a literal when it is stored, not when it is made: read them back.
    const reloaded = new oxigraph.Store();
    try {
      reloaded.load(
        store.dump({ format: 'application/n-triples', from_graph_name: oxigraph.defaultGraph() }),
        { format: 'application/n-triples' },
      );
      for (const q of reloaded.match(null, null, null, null)) {
        const i = Number(q.subject.value.slice('urn:x-cdg:literal:'.length));
        const key = keys[i];
        if (key !== undefined && q.object.termType === 'Literal')
          out.set(key, { value: q.object.value, datatype: q.object.datatype.value });
      }
    } finally {
      freeStore(reloaded);
    }
  } finally {
    freeStore(store);
  }
  return out;
}

/**
 * True when a literal is already in the form Oxigraph stores it, so no scratch store is needed
 * (the common case: integers, dates and plain decimals as most stores write them).
 */
function alreadyCanonical(value: string, datatype: string): boolean {
  switch (datatype) {
    case `${XSD}integer`:
      return /^(?:0|-?[1-9]\d*)$/u.test(value);
    case `${XSD}decimal`:
      return /^(?:0|-?[1-9]\d*|-?(?:0|[1-9]\d*)\.\d*[1-9])$/u.test(value);
    case `${XSD}date`:
      return /^\d{4}-\d\d-\d\d$/u.test(value);
    case `${XSD}dateTime`:
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?$/u.test(value);
    case `${XSD}boolean`:
      return value === 'true' || value === 'false';
    default:
      return false;
  }
}

/** A blank-node label that is valid in every syntax (Virtuoso's are `nodeID://b10000`). */
function bnodeLabel(value: string): string {
  return value.replace(/^nodeID:\/\//u, '').replace(/[^A-Za-z0-9_]/gu, '_');
}

/**
 * Makes a store's SPARQL JSON results standard and canonical: `typed-literal` → `literal`,
 * `xsd:string` datatypes dropped, Virtuoso's blank-node labels and `1`/`0` booleans fixed, numbers
 * and dates in Oxigraph's canonical form.
 * @param results - parsed SPARQL JSON from the store
 */
export function normalizeResults(results: JsonResults): JsonResults {
  const pending = new Set<string>();
  const rows = results.results?.bindings ?? [];
  const fix = (term: JsonTerm): JsonTerm => {
    if (term.type === 'bnode' && typeof term.value === 'string')
      return { type: 'bnode', value: bnodeLabel(term.value) };
    if (term.type !== 'literal' && term.type !== 'typed-literal') return term;
    const value = typeof term.value === 'string' ? term.value : '';
    const lang = term['xml:lang'];
    if (lang !== undefined) return { type: 'literal', value, 'xml:lang': lang };
    const dt = term.datatype;
    if (dt === undefined || dt === `${XSD}string`) return { type: 'literal', value };
    // Virtuoso writes booleans as 1 and 0 in SPARQL JSON.
    if (dt === `${XSD}boolean` && (value === '1' || value === '0'))
      return { type: 'literal', value: value === '1' ? 'true' : 'false', datatype: dt };
    if (CANONICALISED.has(dt) && !alreadyCanonical(value, dt)) pending.add(`${value}\u0000${dt}`);
    return { type: 'literal', value, datatype: dt };
  };
  const fixed = rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, fix(v)])),
  );
  const canonical = canonicalLiterals(pending);
  if (canonical.size > 0) {
    for (const row of fixed) {
      for (const [k, v] of Object.entries(row)) {
        if (v.datatype === undefined || typeof v.value !== 'string') continue;
        const c = canonical.get(`${v.value}\u0000${v.datatype}`);
        if (c !== undefined) row[k] = { type: 'literal', value: c.value, datatype: c.datatype };
      }
    }
  }
  if (results.boolean !== undefined) return { head: {}, boolean: results.boolean };
  const vars = results.head.vars ?? [];
  if (vars.some((v) => HIDDEN_VAR.test(v))) {
    for (const row of fixed)
      for (const k of Object.keys(row)) if (HIDDEN_VAR.test(k)) delete row[k];
  }
  return { head: { vars: vars.filter((v) => !HIDDEN_VAR.test(v)) }, results: { bindings: fixed } };
}

/**
 * A store's RDF answer (N-Triples or Turtle) as canonical N-Triples: parsed and written by Oxigraph,
 * which also puts literals in its canonical form.
 * @param body - the store's answer
 * @param contentType - its media type
 */
export function canonicalTriples(body: string, contentType: string): string {
  const format =
    contentType === 'text/turtle' || contentType === 'application/x-turtle'
      ? 'text/turtle'
      : contentType === 'application/rdf+xml'
        ? 'application/rdf+xml'
        : 'application/n-triples';
  const store = new oxigraph.Store();
  try {
    store.load(body, { format, to_graph_name: oxigraph.defaultGraph() });
    return store.dump({
      format: 'application/n-triples',
      from_graph_name: oxigraph.defaultGraph(),
    });
  } finally {
    freeStore(store);
  }
}

/** Variables the engine adds to a query; never shown in answers. */
const HIDDEN_VAR = /^__cdg_/u;

/** The Virtuoso pragmas that keep graphs out of a query's dataset. */
export function exclusionPragmas(graphs: readonly string[]): string {
  return graphs
    .map(
      (g) => `DEFINE input:default-graph-exclude <${g}> DEFINE input:named-graph-exclude <${g}> `,
    )
    .join('');
}

export class RemoteEngine implements QueryEngine {
  public readonly name = 'remote' as const;
  private readonly options: RemoteEngineOptions;

  public constructor(options: RemoteEngineOptions) {
    this.options = options;
  }

  public get description(): string {
    const server = this.options.store.server.trim();
    return `remote SPARQL store at ${this.options.store.label}${server === '' ? '' : ` (${server})`}`;
  }

  /**
   * The query text as sent: pragmas first on the same line, so the store's line numbers stay ours.
   * @param request - the query
   */
  public queryText(request: QueryRequest, statedDataset = false): string {
    const { store, excludeGraphs, graphs } = this.options;
    if (!store.isVirtuoso) return request.query;
    const explicit =
      request.defaultGraphs !== undefined ||
      request.namedGraphs !== undefined ||
      inspectQuery(request.query).hasDataset;
    const describe = request.form === 'DESCRIBE' ? 'DEFINE sql:describe-mode "CBD" ' : '';
    if (explicit) return `${describe}${plainStringLiterals(request.query)}`;
    if (statedDataset && graphs !== undefined)
      return `${describe}${withDataset(plainStringLiterals(request.query), graphs, graphs)}`;
    const query = plainStringLiterals(request.query);
    if (excludeGraphs.length === 0) return `${describe}${query}`;
    return `${exclusionPragmas(excludeGraphs)}${describe}${graphConstantsAsValues(query)}`;
  }

  /** Sends a query; on Virtuoso's compiler overflow, once more with our graphs stated as FROM. */
  private async send(
    request: QueryRequest,
    accept: string,
    options: {
      timeoutMs: number;
      defaultGraphs?: readonly string[];
      namedGraphs?: readonly string[];
    },
  ) {
    try {
      return await this.options.store.query(this.queryText(request), accept, options);
    } catch (error) {
      if (
        !(error instanceof StoreRequestError) ||
        !/\bSQ200\b/u.test(error.message) ||
        this.options.graphs === undefined ||
        this.options.excludeGraphs.length === 0
      )
        throw error;
      return this.options.store.query(this.queryText(request, true), accept, options);
    }
  }

  public async query(request: QueryRequest, options: QueryOptions = {}): Promise<QueryResponse> {
    if (inspectQuery(request.query).services.length > 0) {
      if (this.options.federation === undefined) {
        throw new HttpError(
          501,
          'SERVICE is not available on this server: no federation engine is configured.',
        );
      }
      return this.options.federation.query(request, options);
    }
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    const dataset = {
      ...(request.defaultGraphs === undefined ? {} : { defaultGraphs: request.defaultGraphs }),
      ...(request.namedGraphs === undefined ? {} : { namedGraphs: request.namedGraphs }),
    };
    if (request.form === 'SELECT' || request.form === 'ASK') {
      const answer = await this.send(request, 'application/sparql-results+json', {
        timeoutMs,
        ...dataset,
      });
      let parsed: JsonResults;
      try {
        parsed = JSON.parse(answer.body) as JsonResults;
      } catch {
        throw new StoreUnavailableError(
          `The triple store answered a ${request.form} with ${answer.contentType || 'no content type'}, not SPARQL JSON.`,
        );
      }
      const normalized = normalizeResults(parsed);
      // The store cut the answer short of our own cap: say so, as our cap would.
      const bindings = normalized.results?.bindings ?? [];
      let truncated = answer.maxRows !== undefined && bindings.length >= answer.maxRows;
      if (normalized.results !== undefined && bindings.length > this.options.maxRows) {
        normalized.results.bindings = bindings.slice(0, this.options.maxRows);
        truncated = true;
      }
      const rows = normalized.results?.bindings.length ?? 1;
      // Written straight from the normalised results: no second parse of the store's JSON.
      const body =
        request.mediaType === 'application/sparql-results+xml'
          ? toXml(normalized)
          : request.mediaType === 'text/csv'
            ? toCsv(normalized)
            : request.mediaType === 'text/tab-separated-values'
              ? toTsv(normalized)
              : JSON.stringify(normalized);
      return { mediaType: request.mediaType, body, rows, truncated };
    }
    const answer = await this.send(
      request,
      'application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5',
      { timeoutMs, ...dataset },
    );
    let nt: string;
    try {
      nt = canonicalTriples(answer.body, answer.contentType);
    } catch (error) {
      throw new StoreUnavailableError(
        `The triple store's answer to a ${request.form} did not parse as ${answer.contentType}: ${(error as Error).message}`,
      );
    }
    const capped = capTriples(nt, this.options.maxRows);
    return {
      mediaType: request.mediaType,
      body: convertNTriples(capped.body, request.mediaType, request.prefixes),
      rows: capped.rows,
      truncated: capped.truncated,
    };
  }

  public async close(): Promise<void> {
    await this.options.federation?.close();
  }
}
