/**
 * Executors: the engines themselves, running in the current thread over an in-memory copy of the
 * dataset. Worker threads host one each; `cdg query` uses one directly.
 */
import { Parser as N3Parser, Writer as N3Writer } from 'n3';
import oxigraph from 'oxigraph';
import { createRequire } from 'node:module';
import type { EngineName } from '../config.js';
import { QuerySyntaxError } from '../errors.js';
import type { QueryRequest, QueryResponse, SerializedError } from './engine.js';
import { inspectQuery, withDataset } from './inspect.js';
import { capTriples, serializeSolutions } from './results.js';
import { freeStore } from '../graph/oxigraphUtil.js';

export interface ExecutorOptions {
  readonly maxRows: number;
  /** Endpoint IRIs SERVICE may reach (Comunica); a request to any other URL fails. */
  readonly serviceAllowlist: readonly string[];
}

export interface Executor {
  readonly name: EngineName;
  readonly description: string;
  execute(request: QueryRequest): Promise<QueryResponse>;
  /** The whole dataset as N-Quads (for the dumps). */
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

/** Turns an engine's exception into plain data, telling the query's faults from ours. */
export function serializeError(error: unknown): SerializedError {
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
            inspectQuery(request.query).hasDataset
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
  const guardedFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!isAllowed(url, options.serviceAllowlist)) {
      return Promise.reject(
        new Error(`Outbound request to ${url} refused: it is not on the allowlist.`),
      );
    }
    return fetch(input, init);
  };
  return {
    name: 'comunica',
    description: `Comunica ${packageVersion('@comunica/query-sparql')} over an N3.js ${packageVersion('n3')} store`,
    async execute(request: QueryRequest): Promise<QueryResponse> {
      const query =
        request.defaultGraphs !== undefined || request.namedGraphs !== undefined
          ? withDataset(request.query, request.defaultGraphs ?? [], request.namedGraphs ?? [])
          : request.query;
      const context = {
        sources: [store],
        unionDefaultGraph: true,
        fetch: guardedFetch,
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
            /fetch failed|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|refused: it is not on the allowlist/iu.test(
              serialized.message,
            )
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
    dump(): string {
      return nquads;
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
  return engine === 'comunica'
    ? createComunicaExecutor(nquads, options)
    : createOxigraphExecutor(nquads, options);
}
