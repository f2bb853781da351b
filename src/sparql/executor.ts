/**
 * Executors: the engines themselves, running in the current thread over an in-memory copy of the
 * dataset. Worker threads host one each; `cdg query` uses one directly.
 */
import { Parser as N3Parser, Writer as N3Writer } from 'n3';
import oxigraph from 'oxigraph';
import { createRequire } from 'node:module';
import type { EngineName } from '../config.js';
import { QuerySyntaxError } from '../errors.js';
import type { DataChange, QueryRequest, QueryResponse, SerializedError } from './engine.js';
import { inspectQuery, withDataset } from './inspect.js';
import { plainStringLiterals } from './rewrite.js';
import { capTriples, serializeSolutions } from './results.js';
import { freeStore } from '../graph/oxigraphUtil.js';
import {
  WriteEvaluator,
  type WriteEvaluation,
  type WriteEvaluatorOptions,
  type WriteRequest,
} from '../graph/writeEvaluation.js';

export interface ExecutorOptions {
  readonly maxRows: number;
  /** Endpoint IRIs SERVICE may reach (Comunica); a request to any other URL fails. */
  readonly serviceAllowlist: readonly string[];
  /** Set for the writer: this executor also works out writes (Oxigraph only). */
  readonly writes?: WriteEvaluatorOptions;
  /** Time limit for one request to a SERVICE endpoint (default 10 s). */
  readonly serviceTimeoutMs?: number;
  /** Time limits by endpoint, overriding `serviceTimeoutMs`. */
  readonly serviceTimeouts?: Readonly<Record<string, number>>;
  /**
   * SPARQL endpoints that hold the data, instead of the in-memory store (Comunica over a remote
   * store, for federation); always reachable, whatever the allowlist.
   */
  readonly sparqlSources?: readonly string[];
}

/** Thrown by the guarded fetch when a SERVICE endpoint is down, failing or too slow. */
export class ServiceError extends Error {
  public readonly status: 502 | 504;

  public constructor(status: 502 | 504, message: string) {
    super(message);
    this.name = 'ServiceError';
    this.status = status;
  }
}

/**
 * The time limit for requests to `url`: the longest matching per-endpoint entry, else the default.
 * @param url - the request URL
 * @param options - the executor's settings
 */
export function serviceTimeoutFor(url: string, options: ExecutorOptions): number {
  let best: [number, number] | undefined;
  for (const [endpoint, ms] of Object.entries(options.serviceTimeouts ?? {})) {
    if (isAllowed(url, [endpoint]) && (best === undefined || endpoint.length > best[0]))
      best = [endpoint.length, ms];
  }
  return best?.[1] ?? options.serviceTimeoutMs ?? 10_000;
}

/** The endpoint part of a request URL, for messages (no query string). */
function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/**
 * A request Comunica makes to a data endpoint, with `"…"^^xsd:string` literals written plain in its
 * query (Virtuoso 7 tells the two apart; every store reads them as the same literal).
 */
function sourceRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
): [string | URL | Request, RequestInit | undefined] {
  if (typeof init?.body === 'string' || init?.body instanceof URLSearchParams) {
    const form = new URLSearchParams(init.body);
    const query = form.get('query');
    if (query !== null) {
      form.set('query', plainStringLiterals(query));
      return [input, { ...init, body: form.toString() }];
    }
  }
  if (typeof input === 'string' || input instanceof URL) {
    const url = new URL(input);
    const query = url.searchParams.get('query');
    if (query !== null) url.searchParams.set('query', plainStringLiterals(query));
    return [url.href, init];
  }
  return [input, init];
}

/**
 * fetch for Comunica: refuses any URL off the allowlist (and the data's own endpoints), and gives
 * each request its endpoint's time limit; a service that is down, failing or too slow becomes a
 * ServiceError that says which and why.
 * @param options - allowlist, time limits, data endpoints
 */
export function guardedFetch(
  options: ExecutorOptions,
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const isSource = isAllowed(url, options.sparqlSources ?? []);
    if (!isSource && !isAllowed(url, options.serviceAllowlist)) {
      throw new Error(`Outbound request to ${url} refused: it is not on the allowlist.`);
    }
    if (isSource) return fetch(...sourceRequest(input, init));
    const ms = serviceTimeoutFor(url, options);
    const signal =
      init?.signal === undefined || init.signal === null
        ? AbortSignal.timeout(ms)
        : AbortSignal.any([init.signal, AbortSignal.timeout(ms)]);
    let res: Response;
    try {
      // A redirect could lead anywhere (loopback, a private address): never followed.
      res = await fetch(input, { ...init, signal, redirect: 'manual' });
    } catch (error) {
      if ((error as { name?: string }).name === 'TimeoutError')
        throw new ServiceError(504, `SERVICE <${endpointOf(url)}> did not answer within ${ms} ms.`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ServiceError(
        502,
        `SERVICE <${endpointOf(url)}> could not be reached (${cause?.code ?? cause?.message ?? (error as Error).message}).`,
      );
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      throw new Error(
        `Outbound request to ${url} refused: it answered with a redirect (${res.status} to ` +
          `${res.headers.get('location') ?? 'nowhere'}), and redirects are not followed.`,
      );
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new ServiceError(
        502,
        `SERVICE <${endpointOf(url)}> failed: it answered ${res.status} ${res.statusText}.`,
      );
    }
    return res;
  };
}

/** A ServiceError's message found inside whatever error Comunica wrapped it in. */
function serviceFailure(error: unknown): ServiceError | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    if (e instanceof ServiceError) return e;
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
    const m =
      /SERVICE <[^>]*> (?:did not answer within \d+ ms|could not be reached \([^)]*\)|failed: it answered [^.]*)\./u.exec(
        message,
      );
    if (m !== null) return new ServiceError(/did not answer/u.test(m[0]) ? 504 : 502, m[0]);
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface Executor {
  readonly name: EngineName;
  readonly description: string;
  execute(request: QueryRequest): Promise<QueryResponse>;
  /** Applies a change to this executor's copy of the data. */
  apply(change: DataChange): void;
  /** Works out what a write would do, leaving the data as it was (the writer only). */
  evaluateWrite(request: WriteRequest): Promise<WriteEvaluation>;
  /** The whole dataset as N-Quads, changes applied (for the dumps). */
  dump(): string;
  free(): void;
}

const GRAPH_FORMATS_WITH_DATASET = new Set(['application/trig', 'application/n-quads']);
const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Writes N-Triples in another RDF syntax. Turtle goes through N3.js's writer, which abbreviates with
 * the query's prefixes (Oxigraph's writer takes none); the rest through a scratch Oxigraph store.
 */
export function convertNTriples(
  ntriples: string,
  mediaType: string,
  prefixes: Readonly<Record<string, string>> = {},
): string {
  if (mediaType === 'application/n-triples') return ntriples;
  if (mediaType === 'text/turtle') {
    const quads = new N3Parser({ format: 'N-Triples' }).parse(ntriples);
    // Grouped by subject, so the writer can abbreviate with `;` and `,`.
    const bySubject = new Map<string, typeof quads>();
    for (const q of quads) {
      const key = `${q.subject.termType}:${q.subject.value}`;
      const list = bySubject.get(key);
      if (list === undefined) bySubject.set(key, [q]);
      else list.push(q);
    }
    const writer = new N3Writer({ format: 'Turtle', prefixes: { ...prefixes } });
    for (const list of bySubject.values()) writer.addQuads(list);
    let out = '';
    writer.end((error, result: string) => {
      if (error !== null && error !== undefined) throw error;
      out = result;
    });
    return out;
  }
  const scratch = new oxigraph.Store();
  try {
    scratch.load(ntriples, { format: 'application/n-triples' });
    if (GRAPH_FORMATS_WITH_DATASET.has(mediaType)) return scratch.dump({ format: mediaType });
    return scratch.dump({ format: mediaType, from_graph_name: oxigraph.defaultGraph() });
  } finally {
    freeStore(scratch);
  }
}

/** What an engine throws when a query's syntax tree is deeper than its stack (JS or WebAssembly). */
const STACK_EXHAUSTED =
  /Maximum call stack size exceeded|memory access out of bounds|call stack exhausted/iu;

/** The message a client gets for a query that exhausted the engine's stack. */
export const TOO_DEEP_MESSAGE =
  'The query is nested too deeply or chains too many clauses or operators for the engine (it ran out ' +
  'of stack). Simplify it: fewer nested groups, shorter chains of UNION, OPTIONAL, FILTER, BIND or ' +
  'operators, or split it into several queries.';

/**
 * True when an error may have left a WebAssembly engine broken (a trap: stack overflow, out-of-bounds
 * access, a panic), so that the engine instance must not be used again.
 */
export function isEngineTrap(error: unknown): boolean {
  // WebAssembly.RuntimeError, by name (the WebAssembly namespace is not in this project's type libs).
  return error instanceof Error && error.name === 'RuntimeError';
}

/** Turns an engine's exception into plain data, telling the query's faults from ours. */
export function serializeError(error: unknown): SerializedError {
  const raw = error instanceof Error ? error.message : String(error);
  if (STACK_EXHAUSTED.test(raw)) {
    return { name: 'QueryTooComplexError', message: TOO_DEEP_MESSAGE, userError: true };
  }
  const service = serviceFailure(error);
  if (service !== undefined) {
    return {
      name: service.name,
      message: service.message,
      userError: false,
      status: service.status,
    };
  }
  if (error instanceof QuerySyntaxError) {
    return {
      name: error.name,
      message: error.message,
      line: error.line,
      column: error.column,
      userError: true,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  // Oxigraph: "error at 3:5: expected …"
  const ox = /^error at (\d+):(\d+): ([\s\S]*)$/u.exec(message);
  if (ox !== null) {
    return {
      name: 'QuerySyntaxError',
      message: `Syntax error at line ${ox[1]}, column ${ox[2]}: ${ox[3]}`,
      line: Number(ox[1]),
      column: Number(ox[2]),
      userError: true,
    };
  }
  // Comunica (Traqula): "Parse error on line 3\n <source line>\n-----^\nExpecting: …"
  const cm = /^Parse error on line (\d+)\n([^\n]*)\n(-*)\^\n?([\s\S]*)$/u.exec(message);
  if (cm !== null) {
    const column = (cm[3]?.length ?? 0) + 1;
    const expecting = (cm[4] ?? '').split('\n').slice(0, 6).join('\n');
    return {
      name: 'QuerySyntaxError',
      message: `Syntax error at line ${cm[1]}, column ${column}:\n${cm[2]}\n${cm[3]}^\n${expecting}`,
      line: Number(cm[1]),
      column,
      userError: true,
    };
  }
  const userError =
    /not supported|not available|not allowed|unknown prefix|undefined prefix|unknown function|is not a|invalid|unsupported|not on the allowlist|creation of function evaluator failed|no configured actor was able to evaluate function/iu.test(
      message,
    );
  return { name: error instanceof Error ? error.name : 'Error', message, userError };
}

/** Oxigraph (npm `oxigraph`): the default engine; fast, synchronous, in-memory. */
export function createOxigraphExecutor(nquads: string, options: ExecutorOptions): Executor {
  const store = new oxigraph.Store();
  store.load(nquads, { format: 'application/n-quads' });
  return oxigraphExecutor(store, options);
}

/**
 * The Oxigraph executor over a store already loaded; it owns the store from now on.
 * @param store - the dataset
 * @param options - row cap
 */
export function oxigraphExecutor(store: oxigraph.Store, options: ExecutorOptions): Executor {
  let evaluator: WriteEvaluator | undefined;
  return {
    name: 'oxigraph',
    description: `Oxigraph ${packageVersion('oxigraph')} (in-process, WebAssembly)`,
    execute(request: QueryRequest): Promise<QueryResponse> {
      const dataset =
        request.defaultGraphs !== undefined || request.namedGraphs !== undefined
          ? {
              default_graph: (request.defaultGraphs ?? []).map((g) => oxigraph.namedNode(g)),
              named_graphs: (request.namedGraphs ?? []).map((g) => oxigraph.namedNode(g)),
            }
          : // The union default graph applies only when the query states no dataset of its own
            // (Oxigraph would otherwise let the union option override FROM / FROM NAMED).
            (request.statesDataset ?? inspectQuery(request.query).hasDataset)
            ? {}
            : { use_default_graph_as_union: true };
      const base = request.baseIri === undefined ? {} : { base_iri: request.baseIri };
      if (request.form === 'SELECT' || request.form === 'ASK') {
        const json = store.query(request.query, {
          ...dataset,
          ...base,
          results_format: 'application/sparql-results+json',
        }) as unknown as string;
        return Promise.resolve({
          mediaType: request.mediaType,
          ...serializeSolutions(json, request.mediaType, options.maxRows, true),
        });
      }
      const nt = store.query(request.query, {
        ...dataset,
        ...base,
        results_format: 'application/n-triples',
      }) as unknown as string;
      const capped = capTriples(nt, options.maxRows);
      return Promise.resolve({
        mediaType: request.mediaType,
        body: convertNTriples(capped.body, request.mediaType, request.prefixes),
        rows: capped.rows,
        truncated: capped.truncated,
      });
    },
    apply(change: DataChange): void {
      // `parse` keeps blank node labels (`load` would rename them), so changes can refer to them.
      const emptied = new Set<string>();
      for (const q of oxigraph.parse(change.delete, { format: 'application/n-quads' })) {
        store.delete(q);
        if (q.graph.termType === 'NamedNode') emptied.add(q.graph.value);
      }
      for (const q of oxigraph.parse(change.insert, { format: 'application/n-quads' }))
        store.add(q);
      // A graph exists while it has triples, here as after a restart.
      for (const g of emptied) {
        if (store.match(null, null, null, oxigraph.namedNode(g)).length === 0)
          store.update(`DROP SILENT GRAPH <${g}>`);
      }
    },
    evaluateWrite(request: WriteRequest): Promise<WriteEvaluation> {
      if (options.writes === undefined) throw new Error('This executor does not take writes.');
      evaluator ??= new WriteEvaluator(store, options.writes);
      return evaluator.evaluate(request);
    },
    dump(): string {
      return store.dump({ format: 'application/n-quads' });
    },
    free(): void {
      freeStore(store);
    },
  };
}

/** True when `url` is one of the allowlisted endpoints (or a URL below one). */
export function isAllowed(url: string, allowlist: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  return allowlist.some((entry) => {
    const allowed = new URL(entry);
    return target.origin === allowed.origin && target.pathname.startsWith(allowed.pathname);
  });
}

async function streamToString(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream)
    out += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return out;
}

/**
 * Comunica (`@comunica/query-sparql`) over an N3 store: the second engine, strong at federation.
 * Its HTTP requests go through a fetch that refuses any URL off the allowlist.
 */
export async function createComunicaExecutor(
  nquads: string,
  options: ExecutorOptions,
): Promise<Executor> {
  const [{ QueryEngine }, n3] = await Promise.all([import('@comunica/query-sparql'), import('n3')]);
  const store = new n3.Store(new n3.Parser({ format: 'N-Quads' }).parse(nquads));
  const engine = new QueryEngine();
  /** Whether a change was applied since `nquads` (the dump then comes from the store). */
  let changed = false;
  // Over SPARQL endpoints, an (empty) in-memory store is a source too: with one endpoint alone,
  // Comunica hands the whole query — SERVICE included — to that endpoint, which would then reach out
  // itself (Virtuoso refuses: "SQ070 … SPARQL_SINV") and never through our allowlist and time limits.
  const sources =
    options.sparqlSources === undefined
      ? [store]
      : [...options.sparqlSources.map((value) => ({ type: 'sparql' as const, value })), store];
  return {
    name: 'comunica',
    description: `Comunica ${packageVersion('@comunica/query-sparql')} over an N3.js ${packageVersion('n3')} store`,
    async execute(request: QueryRequest): Promise<QueryResponse> {
      const query =
        request.defaultGraphs !== undefined || request.namedGraphs !== undefined
          ? withDataset(request.query, request.defaultGraphs ?? [], request.namedGraphs ?? [])
          : request.query;
      const context = {
        sources,
        unionDefaultGraph: true,
        fetch: guardedFetch(options),
        ...(request.baseIri === undefined ? {} : { baseIRI: request.baseIri }),
      };
      // Comunica parses, translates and plans the query in `query()`: a rejection there is the
      // query's fault (a 400), whatever its wording — except a remote service that cannot be reached.
      const planned = async <T>(plan: () => Promise<T>): Promise<T> => {
        try {
          return await plan();
        } catch (error) {
          const serialized = serializeError(error);
          if (
            serialized.status !== undefined ||
            /fetch failed|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|refused: it/iu.test(serialized.message)
          )
            throw error;
          throw new QuerySyntaxError(serialized.message, serialized.line, serialized.column);
        }
      };
      if (request.form === 'SELECT' || request.form === 'ASK') {
        const result = await planned(() => engine.query(query, context));
        const { data } = await engine.resultToString(result, 'application/sparql-results+json');
        const json = await streamToString(data);
        return {
          mediaType: request.mediaType,
          ...serializeSolutions(json, request.mediaType, options.maxRows, false),
        };
      }
      const quads = await (await planned(() => engine.queryQuads(query, context))).toArray();
      const nt = new n3.Writer({ format: 'N-Triples' }).quadsToString(
        quads.map((q) => n3.DataFactory.quad(q.subject, q.predicate, q.object)),
      );
      const capped = capTriples(nt, options.maxRows);
      return {
        mediaType: request.mediaType,
        body: convertNTriples(capped.body, request.mediaType, request.prefixes),
        rows: capped.rows,
        truncated: capped.truncated,
      };
    },
    apply(change: DataChange): void {
      // An explicit empty prefix keeps blank node labels as written.
      const parse = (text: string) =>
        new n3.Parser({ format: 'N-Quads', blankNodePrefix: '' }).parse(text);
      store.removeQuads(parse(change.delete));
      store.addQuads(parse(change.insert));
      changed = true;
    },
    evaluateWrite(): Promise<WriteEvaluation> {
      return Promise.reject(new Error('Writes are worked out by an Oxigraph executor.'));
    },
    dump(): string {
      if (!changed) return nquads;
      return new n3.Writer({ format: 'N-Quads' }).quadsToString(
        store.getQuads(null, null, null, null),
      );
    },
    free(): void {
      // The N3 store is garbage-collected with this executor.
    },
  };
}

/** Creates the named engine over N-Quads text. */
export async function createExecutor(
  engine: EngineName,
  nquads: string,
  options: ExecutorOptions,
): Promise<Executor> {
  return engine === 'comunica' && options.writes === undefined
    ? createComunicaExecutor(nquads, options)
    : createOxigraphExecutor(nquads, options);
}
