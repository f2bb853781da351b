/**
 * Serving from a remote SPARQL store: connect, read the version record `cdg load` left there, work
 * out which graphs are ours, and build what the server keeps in memory — the label index
 * (pages, search, autocomplete) and the linker's gazetteer — from the statements they need, fetched
 * once into a scratch Oxigraph store that is freed afterwards.
 */
import { createHash } from 'node:crypto';
import oxigraph from 'oxigraph';
import type { Config } from '../config.js';
import { Gazetteer } from '../linker/gazetteer.js';
import type { Logger } from '../log.js';
import type { QueryEngine } from '../sparql/engine.js';
import type { JsonResults, JsonTerm } from '../sparql/results.js';
import { RemoteEngine } from '../sparql/remoteEngine.js';
import { DCT, OWL, RDF_TYPE, RDFS, SKOS } from '../vocab.js';
import { ALT_PREDICATES, LABEL_PREDICATES, LabelIndex, LINK_PREDICATES } from '../web/labels.js';
import type { GraphInfo } from './load.js';
import { freeStore } from './oxigraphUtil.js';
import { storedVersion } from './remoteLoad.js';
import { RemoteStore } from './remoteStore.js';
import { manifestGraph, recordGraphs, type VersionRecord } from './versions.js';

/** What a server needs from a remote store. */
export interface RemoteDataset {
  readonly store: RemoteStore;
  readonly engine: RemoteEngine;
  readonly graphs: readonly GraphInfo[];
  /** The version `cdg load` recorded, or a hash of the graphs and their sizes for a store it did not load. */
  readonly version: string;
  readonly record: VersionRecord | undefined;
  readonly quadCount: number;
  readonly labels: LabelIndex;
  readonly gazetteer: Gazetteer;
  /** Every statement of ours as N-Quads (for the dumps; fetched when first asked for). */
  nquads(): Promise<string>;
}

/** Predicates the label index and the gazetteer read (besides rdf:type). */
export function indexPredicates(baseIri: string): string[] {
  const cdo = `${baseIri}ontology#`;
  return [
    ...new Set([
      RDF_TYPE,
      ...LABEL_PREDICATES,
      ...ALT_PREDICATES,
      ...LINK_PREDICATES,
      `${SKOS}prefLabel`,
      `${RDFS}label`,
      `${DCT}title`,
      `${DCT}issued`,
      `${DCT}date`,
      `${OWL}sameAs`,
      `${cdo}startDate`,
      `${cdo}endDate`,
      `${cdo}date`,
      `${cdo}finalReport`,
      `${cdo}victim`,
      `${cdo}involvedActor`,
      `${cdo}symbol`,
      `${cdo}demonym`,
    ]),
  ];
}

/** Graphs Virtuoso keeps for itself in every database. */
const VIRTUOSO_SYSTEM_GRAPH =
  /^(?:http:\/\/www\.openlinksw\.com\/schemas\/|http:\/\/www\.w3\.org\/ns\/ldp#$|http:\/\/localhost:\d+\/(?:sparql|DAV\/)$)/u;

/** Escapes a literal's text for N-Triples. */
function ntString(text: string): string {
  return text.replace(/[\\"\n\r]/gu, (c) =>
    c === '\\' ? '\\\\' : c === '"' ? '\\"' : c === '\n' ? '\\n' : '\\r',
  );
}

/** A SPARQL JSON term in N-Triples syntax (blank-node labels made safe). */
function ntTerm(t: JsonTerm): string {
  const value = typeof t.value === 'string' ? t.value : '';
  if (t.type === 'uri') return `<${value}>`;
  if (t.type === 'bnode') return `_:${value.replace(/[^A-Za-z0-9_]/gu, '_')}`;
  if (t['xml:lang'] !== undefined) return `"${ntString(value)}"@${t['xml:lang']}`;
  if (t.datatype !== undefined) return `"${ntString(value)}"^^<${t.datatype}>`;
  return `"${ntString(value)}"`;
}

/**
 * Solutions of ?s ?p ?o ?g as N-Quads text, loaded into a store in one call (far cheaper than
 * adding hundreds of thousands of quads one by one across the WebAssembly boundary).
 */
function loadRows(store: oxigraph.Store, rows: ReadonlyArray<Record<string, JsonTerm>>): void {
  const lines: string[] = [];
  for (const r of rows) {
    if (r.s === undefined || r.p === undefined || r.o === undefined || r.g === undefined) continue;
    lines.push(`${ntTerm(r.s)} ${ntTerm(r.p)} ${ntTerm(r.o)} ${ntTerm(r.g)} .`);
  }
  store.load(lines.join('\n'), { format: 'application/n-quads' });
}

/**
 * Runs a SELECT through an engine with no row cap; pages with ORDER BY when the store itself cuts
 * answers short (Virtuoso's `ResultSetMaxRows`), so nothing is silently missing.
 * @param engine - an uncapped remote engine
 * @param select - the SELECT clause
 * @param where - the inside of the WHERE clause
 * @param order - a total order of the solutions, for paging
 * @param groupBy - a GROUP BY clause, if any
 */
async function selectAll(
  engine: QueryEngine,
  select: string,
  where: string,
  order: string,
  groupBy = '',
): Promise<Array<Record<string, JsonTerm>>> {
  const run = async (
    query: string,
  ): Promise<{ rows: Array<Record<string, JsonTerm>>; cut: boolean }> => {
    const res = await engine.query(
      { query, form: 'SELECT', mediaType: 'application/sparql-results+json' },
      { timeoutMs: 600_000 },
    );
    return {
      rows: (JSON.parse(res.body) as JsonResults).results?.bindings ?? [],
      cut: res.truncated,
    };
  };
  const first = await run(`${select} WHERE { ${where} } ${groupBy}`);
  if (!first.cut) return first.rows;
  const page = first.rows.length;
  const rows: Array<Record<string, JsonTerm>> = [];
  for (let offset = 0; ; offset += page) {
    const next = await run(
      `${select} WHERE { ${where} } ${groupBy} ORDER BY ${order} LIMIT ${page} OFFSET ${offset}`,
    );
    rows.push(...next.rows);
    if (next.rows.length < page) return rows;
  }
}

/**
 * Connects to the configured store and prepares everything the server keeps in memory.
 * @param config - validated configuration with `store` set to a URL
 * @param logger - root logger
 * @param federation - the engine for queries with SERVICE, if any
 * @throws StoreUnavailableError when the store does not answer
 */
export async function connectRemoteDataset(
  config: Config,
  logger: Logger,
  federation?: QueryEngine,
): Promise<RemoteDataset> {
  const log = logger.child({ module: 'store' });
  const started = performance.now();
  const store = new RemoteStore({
    queryUrl: config.store,
    updateUrl: config.storeUpdateUrl,
    graphStoreUrl: config.storeGraphStoreUrl,
    user: config.storeUser,
    password: config.storePassword,
  });
  await store.ping();
  const record = await storedVersion(store, config.baseIri);
  // Every graph in the store with its size (on Virtuoso far faster than SELECT DISTINCT ?g).
  const sizes = new Map(
    (
      await store.select('SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g', {
        timeoutMs: 600_000,
      })
    ).rows
      .filter((r) => r.g !== undefined)
      .map((r) => [r.g!.value, Number(r.n?.value ?? 0)]),
  );
  const all = [...sizes.keys()];
  let ours: Set<string>;
  if (record !== undefined) {
    ours = new Set(recordGraphs(record));
  } else {
    log.warn(
      { store: store.label },
      'the store holds no version record from `cdg load`: serving every graph in it',
    );
    ours = new Set(
      all.filter(
        (g) =>
          g !== manifestGraph(config.baseIri) &&
          !(store.isVirtuoso && VIRTUOSO_SYSTEM_GRAPH.test(g)),
      ),
    );
  }
  const exclude = store.isVirtuoso ? all.filter((g) => !ours.has(g)) : [];
  const common = {
    store,
    defaultTimeoutMs: config.queryTimeoutMs,
    excludeGraphs: exclude,
    graphs: [...ours].sort(),
    ...(federation === undefined ? {} : { federation }),
  };
  const engine = new RemoteEngine({ ...common, maxRows: config.maxResultRows });
  const uncapped = new RemoteEngine({ ...common, maxRows: Number.MAX_SAFE_INTEGER });

  const quadsByGraph = new Map([...sizes].filter(([g]) => ours.has(g)));
  const quadCount = [...quadsByGraph.values()].reduce((a, b) => a + b, 0);
  const graphs: readonly GraphInfo[] =
    record?.graphs ??
    [...quadsByGraph.entries()].sort().map(([graph, quads]) => ({
      graph,
      file: '',
      format: '',
      namedGraphs: [],
      quads,
      bytes: 0,
      sha256: '',
    }));
  const version =
    record?.version ??
    createHash('sha256')
      .update(JSON.stringify([...quadsByGraph.entries()].sort()))
      .digest('hex')
      .slice(0, 16);

  // The label index and the gazetteer, from the statements they read, kept by graph as at home.
  const values = indexPredicates(config.baseIri)
    .map((p) => `<${p}>`)
    .join(' ');
  const rows = await selectAll(
    uncapped,
    'SELECT ?s ?p ?o ?g',
    `VALUES ?p { ${values} } GRAPH ?g { ?s ?p ?o }`,
    '?g ?s ?p ?o',
  );
  const scratch = new oxigraph.Store();
  let labels: LabelIndex;
  let gazetteer: Gazetteer;
  try {
    loadRows(scratch, rows);
    labels = LabelIndex.fromStore(scratch);
    gazetteer = Gazetteer.fromStore(scratch, config.baseIri);
  } finally {
    freeStore(scratch);
  }
  // What the scratch store cannot know: the whole dataset's size and predicates.
  labels.setTotals(
    quadCount,
    (await selectAll(uncapped, 'SELECT DISTINCT ?p', 'GRAPH ?g { ?s ?p ?o }', '?p'))
      .map((r) => (typeof r.p?.value === 'string' ? r.p.value : ''))
      .filter((p) => p !== '')
      .sort(),
  );
  log.info(
    {
      store: store.label,
      server: store.server,
      version,
      graphs: graphs.length,
      quads: quadCount,
      indexed: rows.length,
      ms: Math.round(performance.now() - started),
    },
    'connected to the remote store',
  );
  let dump: Promise<string> | undefined;
  return {
    store,
    engine,
    graphs,
    version,
    record,
    quadCount,
    labels,
    gazetteer,
    nquads(): Promise<string> {
      dump ??= selectAll(
        uncapped,
        'SELECT ?s ?p ?o ?g',
        'GRAPH ?g { ?s ?p ?o }',
        '?g ?s ?p ?o',
      ).then((all) => {
        const out = new oxigraph.Store();
        try {
          loadRows(out, all);
          return out.dump({ format: 'application/n-quads' });
        } finally {
          freeStore(out);
        }
      });
      return dump;
    },
  };
}
