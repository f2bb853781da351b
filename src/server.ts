/**
 * Starting and stopping the server. Start: check the settings, listen (so that `/health` answers and
 * `/ready` says 503 while loading), load the data (all or nothing) and start the query workers,
 * then serve (the user graphs read from the journal). Small data is loaded and indexed by the main
 * thread and handed to the workers as N-Quads; large data is loaded by each worker from disk, and
 * the main thread keeps no store. Stop (SIGTERM): stop accepting, let in-flight
 * requests finish within a deadline, run the shutdown hooks, close the journal and the workers.
 */
import { accessSync, constants as fsConstants, mkdirSync, promises as fs, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp, edgeMiddleware, type Lifecycle } from './app.js';
import { captureHeaders, createCachedAnswerHandler, type Middleware } from './sparql/fastPath.js';
import type { Journal } from './graph/journal.js';
import { userGraphNamespace, UserGraphs } from './graph/userGraphs.js';
import { ClientLimits } from './clientLimits.js';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { findDataSources, type DataSource } from './graph/files.js';
import { Metrics } from './metrics.js';
import {
  datasetVersion,
  graphInfos,
  loadDataset,
  sourcesAsWritten,
  type GraphInfo,
  type LoadProgress,
} from './graph/load.js';
import { parseStatements, readStatements } from './graph/statements.js';
import type { Logger } from './log.js';
import { WorkerPool } from './sparql/workerPool.js';
import type { WorkerInput } from './sparql/workerDataset.js';
import { CachingEngine } from './sparql/cachingEngine.js';
import { LabelIndex } from './web/labels.js';
import { Gazetteer } from './linker/gazetteer.js';
import { isSmallLinkJob, runLinkJob } from './linker/job.js';
import { loadSavedQueries } from './reports/savedQueries.js';
import { freeStore } from './graph/oxigraphUtil.js';
import { dataCommit } from './graph/versions.js';
import { RDF_TYPE, RDFS } from './vocab.js';

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  readonly engine: WorkerPool;
  /** The result cache in front of the pool. */
  readonly cache: CachingEngine;
  readonly graphs: readonly GraphInfo[];
  /** Quads in the curated data. */
  readonly quadCount: number;
  /** The label index the pages use. */
  readonly labels: LabelIndex;
  /** The writer worker (an Oxigraph copy that works writes out), when writes are enabled. */
  readonly writer: WorkerPool | undefined;
  /** The user graphs (undefined without a state directory). */
  readonly writes: UserGraphs | undefined;
  /**
   * The write journal, when writes are enabled: every acknowledged write is already on disk;
   * `flush()` waits for writes under way, `close()` flushes and releases it, `sizeBytes` is its size.
   */
  readonly journal: Journal | undefined;
  /** The data version (changes with every write). */
  readonly version: string;
  readonly metrics: Metrics;
  readonly limits: ClientLimits;
  /** Stops at once: connections cut, workers terminated (tests; use `shutdown` for a process). */
  close(): Promise<void>;
  /**
   * Stops gracefully: `/ready` answers 503 and new requests 503, the listener closes, in-flight
   * requests get until the deadline to finish (then their connections are cut), the shutdown hooks
   * run, the workers close. Calling it again returns the same promise.
   * @param graceMs - the deadline (default: the configured `shutdownGraceMs`)
   * @returns how many connections were still open at the deadline and had to be cut
   */
  shutdown(graceMs?: number): Promise<{ cut: number }>;
  /** Registers work to do at shutdown after requests have drained, before the workers close. */
  onShutdown(hook: () => Promise<void> | void): void;
}

export interface StartOptions {
  /** Load progress, for a command line to show. */
  readonly onProgress?: (event: LoadProgress) => void;
  /**
   * Called once the port is bound, before the data is loaded (the server then answers `/health`
   * and `/metrics`, and 503 with `Retry-After` elsewhere); awaited.
   */
  readonly onListening?: (url: string) => Promise<void> | void;
  /** Data larger than this is loaded by the workers alone (default `IN_PROCESS_MAX_BYTES`). */
  readonly inProcessMaxBytes?: number;
  /**
   * False: every query not answered from the cache goes through the Express app (tests compare
   * the two paths); by default plain GET queries are answered straight from Node's HTTP server.
   */
  readonly directQueries?: boolean;
}

/**
 * Data files larger than this in all are loaded by the query workers (and the writer) alone,
 * straight from disk; smaller ones by the main thread (which builds the indexes meanwhile) and
 * handed to the workers as N-Quads.
 */
export const IN_PROCESS_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Predicates the label index and the gazetteer read; types and rdfs:label (the usual bulk) first,
 * so that workers sharing the reading start on the longest.
 */
function startupPredicates(baseIri: string): string[] {
  return [
    ...new Set([
      RDF_TYPE,
      `${RDFS}label`,
      ...LabelIndex.PREDICATES,
      ...Gazetteer.predicates(baseIri),
    ]),
  ];
}

/** Prepared N-Quads text, in shared memory, as the one input of the workers. */
function preparedInput(nquads: string): WorkerInput {
  const bytes = new Uint8Array(new SharedArrayBuffer(Buffer.byteLength(nquads)));
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).write(nquads, 'utf8');
  return { kind: 'nquads', name: 'the prepared dataset', bytes };
}

/** Total size of the data files. */
async function totalBytes(sources: readonly DataSource[]): Promise<number> {
  let total = 0;
  for (const s of sources) total += (await fs.stat(s.path).catch(() => ({ size: 0 }))).size;
  return total;
}

/**
 * Reports settings that would only fail at first use: a state directory that cannot be written.
 * @throws ConfigError saying what to fix
 */
function checkStartupSettings(config: Config): void {
  if (config.stateDir !== '') {
    try {
      mkdirSync(config.stateDir, { recursive: true });
      accessSync(config.stateDir, fsConstants.W_OK);
    } catch (error) {
      throw new ConfigError(
        `state directory ${config.stateDir} cannot be written (${(error as Error).message}); ` +
          'point CDG_STATE_DIR at a writable directory, or set it empty to keep state in memory.',
      );
    }
  }
  let queries;
  try {
    queries = statSync(config.queriesDir);
  } catch {
    queries = undefined;
  }
  if (queries === undefined || !queries.isDirectory()) {
    throw new ConfigError(`queries directory ${config.queriesDir} does not exist.`);
  }
}

/** Node's own limits on a request's head and duration (header floods, slow clients). */
const SERVER_LIMITS = {
  /** Whole header block must arrive within this. */
  headersTimeout: 20_000,
  /** Whole request (head and body) must arrive within this. */
  requestTimeout: 60_000,
  /** How often those two are checked. */
  connectionsCheckingInterval: 1_000,
  keepAliveTimeout: 5_000,
  /** Node's default (16 KiB), stated: larger heads get 431. */
  maxHeaderSize: 16 * 1024,
} as const;

/** Answers while the data loads: liveness yes, readiness no, everything else 503. */
function startingHandler(metrics: Metrics) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const done = metrics.startRequest(path ?? '/', req.method ?? 'GET');
    res.on('close', () => done(res.statusCode));
    if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ status: 'starting' }));
    } else if (path === '/ready') {
      res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '5' });
      res.end(JSON.stringify({ status: 'starting', workers: 0 }));
    } else if (path === '/metrics') {
      void metrics.render().then(({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType });
        res.end(body);
      });
    } else {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
      res.end('The server is starting (loading the data); try again shortly.\n');
    }
  };
}

/** A dataset ready to serve: N-Quads text plus what each file contributed. */
export interface ServableDataset {
  readonly nquads: string;
  readonly graphs: readonly GraphInfo[];
  readonly version: string;
  readonly quadCount: number;
  /** Labels, types and counts for pages and autocomplete (empty when not built). */
  readonly labels?: LabelIndex;
  /** Names for the linker (empty when not built). */
  readonly gazetteer?: Gazetteer;
  /** When it was loaded, and from which commit (for the VoID description). */
  readonly loaded?: { readonly at: string; readonly sourceCommit?: string };
}

/**
 * Loads the configured data paths into N-Quads (validating every file first).
 * @throws DataLoadError naming file, line and column
 */
export async function loadServableDataset(
  config: Pick<Config, 'dataPaths' | 'baseIri' | 'engine'>,
  onProgress?: (event: LoadProgress) => void,
): Promise<ServableDataset> {
  const sources = await findDataSources(config.dataPaths, config.baseIri);
  const loaded = await loadDataset(sources, onProgress);
  try {
    // Oxigraph canonicalises literals in its store anyway; Comunica gets them as written.
    const nquads =
      config.engine === 'comunica'
        ? await sourcesAsWritten(sources)
        : loaded.store.dump({ format: 'application/n-quads' });
    const statements = readStatements(loaded.store, startupPredicates(config.baseIri));
    const labels = LabelIndex.fromStatements(statements);
    const gazetteer = Gazetteer.fromStatements(statements, config.baseIri);
    const commit = dataCommit(config.dataPaths);
    return {
      nquads,
      graphs: loaded.graphs,
      version: loaded.version,
      quadCount: loaded.quadCount,
      labels,
      gazetteer,
      loaded: {
        at: new Date().toISOString(),
        ...(commit === undefined ? {} : { sourceCommit: commit }),
      },
    };
  } finally {
    freeStore(loaded.store);
  }
}

/**
 * Reads the user graphs from `{stateDir}/writes` (opening the journal for writing, with a write
 * token), and says how to start the writer worker: an Oxigraph copy of the whole dataset that works
 * writes out.
 */
async function openUserGraphs(
  config: Config,
  logger: Logger,
  data: Pick<ServableDataset, 'graphs' | 'version'>,
): Promise<{
  writes: UserGraphs | undefined;
  startWriter: ((inputs: readonly WorkerInput[]) => Promise<WorkerPool>) | undefined;
}> {
  if (config.stateDir === '') return { writes: undefined, startWriter: undefined };
  const curated = new Set(data.graphs.flatMap((g) => [g.graph, ...g.namedGraphs]));
  const options = {
    baseIri: config.baseIri,
    dir: path.join(config.stateDir, 'writes'),
    compactBytes: config.journalCompactBytes,
    curatedGraphs: curated,
    curatedVersion: data.version,
    logger,
  };
  if (config.writeTokenSha256 === '')
    return { writes: await UserGraphs.open(options), startWriter: undefined };
  let writer: WorkerPool | undefined;
  const writes = await UserGraphs.open({
    ...options,
    evaluate: (request) => {
      if (writer === undefined) return Promise.reject(new Error('The writer is not started.'));
      return writer.evaluateWrite(request, { timeoutMs: config.queryTimeoutMs });
    },
  });
  // The writer loads what the query workers load: the prepared N-Quads, or the data files.
  const startWriter = async (inputs: readonly WorkerInput[]): Promise<WorkerPool> => {
    writer = await WorkerPool.start({
      // Always Oxigraph: it runs SPARQL Update; it reads the Comunica engine's N-Quads as well.
      engine: 'oxigraph',
      data: {
        inputs,
        changes: writes.quadCount > 0 ? [{ delete: '', insert: writes.nquads() }] : [],
      },
      size: 1,
      maxRows: config.maxResultRows,
      serviceAllowlist: [],
      defaultTimeoutMs: config.queryTimeoutMs,
      logger: logger.child({ module: 'writer' }),
      writes: {
        namespace: userGraphNamespace(config.baseIri),
        baseIri: config.baseIri,
        curatedGraphs: [...curated],
      },
    });
    return writer;
  };
  return { writes, startWriter };
}

/** The query pool's settings, whatever the data. */
function poolOptions(
  config: Config,
  logger: Logger,
  metrics: Metrics,
): Omit<Parameters<typeof WorkerPool.start>[0], 'data'> {
  return {
    engine: config.engine,
    size: config.workers,
    maxRows: config.maxResultRows,
    serviceAllowlist: config.serviceAllowlist,
    serviceTimeoutMs: config.serviceTimeoutMs,
    serviceTimeouts: config.serviceTimeouts,
    defaultTimeoutMs: config.queryTimeoutMs,
    logger,
    onQueryDone: metrics.queryDone,
  };
}

/**
 * The whole dataset as N-Quads for the dumps: the curated data and the user graphs. The main thread
 * holds the curated N-Quads for small data; for large data, a query worker writes its copy (which
 * has the user graphs applied already).
 * @param nquads - the curated data, when held here
 * @param pool - the query workers
 * @param writes - the user graphs
 */
function dumpSource(
  nquads: string | undefined,
  pool: WorkerPool,
  writes: UserGraphs | undefined,
): () => string | Promise<string> {
  if (nquads === undefined) return () => pool.dump();
  return () => (writes === undefined ? nquads : nquads + writes.nquads());
}

/**
 * Starts the whole server on `config.port` (0 picks a free port). It listens before loading, so
 * that probes can tell "alive but loading" from "dead"; the promise resolves once it serves.
 * Small data is loaded and indexed in the main thread while the query workers start, and handed to
 * them as N-Quads; large data (over `inProcessMaxBytes`) is read, validated and loaded by each
 * worker from disk (the main thread holds neither the files nor a store), the workers share
 * reading what the label index and the gazetteer need, and the main thread builds those from it.
 * The writer loads the same inputs as the query workers.
 * @param config - validated configuration
 * @param logger - root logger
 * @param dataset - a dataset already loaded (tests); loaded from `config.dataPaths` otherwise
 * @param options - progress and listening callbacks; where large data starts
 * @throws ConfigError for settings that cannot work (checked before listening), DataLoadError for
 *   data that does not parse, and the listener's error (port in use) before any data is loaded
 */
export async function startServer(
  config: Config,
  logger: Logger,
  dataset?: ServableDataset,
  options: StartOptions = {},
): Promise<RunningServer> {
  const log = logger.child({ module: 'server' });
  const started = performance.now();
  checkStartupSettings(config);
  // Lists the data files now: a missing path is reported before anything else happens.
  const sources =
    dataset === undefined ? await findDataSources(config.dataPaths, config.baseIri) : [];
  const progress = (e: LoadProgress): void => {
    options.onProgress?.(e);
    if (e.type === 'file-done')
      log.debug({ file: e.file, quads: e.quads, ms: Math.round(e.ms) }, 'loaded');
    if (e.type === 'file-progress')
      log.info({ file: e.file, percent: Math.round((100 * e.bytesDone) / e.bytes) }, 'loading');
  };

  let state: ReturnType<Lifecycle['state']> = 'starting';
  // Filled in once loaded; the metrics read them at every scrape.
  const live: { engine?: WorkerPool; cache?: CachingEngine } = {};
  const limits = new ClientLimits({
    concurrency: config.clientConcurrency,
    budgetMs: config.clientBudgetMs,
    windowMs: config.clientWindowMs,
  });
  const metrics = new Metrics({
    cache: () => live.cache?.stats ?? { hits: 0, misses: 0, entries: 0, bytes: 0 },
    pool: () => ({
      ready: live.engine?.readyWorkers ?? 0,
      size: config.workers,
      queued: live.engine?.queueLength ?? 0,
      replacements: live.engine?.replacements ?? 0,
      timeouts: live.engine?.timeouts ?? 0,
      crashes: live.engine?.crashes ?? 0,
    }),
    clients: () => limits.size,
    ready: () => state === 'serving' && (live.engine?.readyWorkers ?? 0) > 0,
  });

  let handler: (req: IncomingMessage, res: ServerResponse) => void = startingHandler(metrics);
  // Responses being written, so that a shutdown can tell each to close its connection.
  const inFlight = new Set<ServerResponse>();
  const server = createServer(SERVER_LIMITS, (req, res) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const stopListening = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  /** The curated data (its N-Quads held here only when the main thread loaded it). */
  let data: Omit<ServableDataset, 'nquads'> & { readonly nquads: string | undefined };
  let pool: WorkerPool;
  let writer: WorkerPool | undefined;
  let opened: Awaited<ReturnType<typeof openUserGraphs>>;
  try {
    await options.onListening?.(url);
    log.info({ url }, 'listening; loading the data');
    const inWorkers =
      dataset === undefined &&
      (await totalBytes(sources)) > (options.inProcessMaxBytes ?? IN_PROCESS_MAX_BYTES);
    if (!inWorkers) {
      // The workers start while the main thread loads and indexes the data and reads the journal.
      let prepared: { data: ServableDataset; input: WorkerInput } | undefined;
      let userGraphs: Awaited<ReturnType<typeof openUserGraphs>> | undefined;
      const ready = (async () => {
        const d = dataset ?? (await loadServableDataset(config, progress));
        const o = await openUserGraphs(config, logger, d);
        prepared = { data: d, input: preparedInput(d.nquads) };
        userGraphs = o;
        return prepared;
      })();
      const userQuads = (): number => userGraphs?.writes?.quadCount ?? 0;
      const starting = await Promise.allSettled([
        WorkerPool.start({
          ...poolOptions(config, logger, metrics),
          data: ready.then((p) => ({
            inputs: [p.input],
            // The user graphs go in as a change, which keeps their blank node labels.
            changes: userQuads() > 0 ? [{ delete: '', insert: userGraphs!.writes!.nquads() }] : [],
            // Linking runs in the workers too, under the same deadline: never on the HTTP thread.
            ...(p.data.gazetteer === undefined ? {} : { gazetteer: p.data.gazetteer }),
          })),
        }),
        ready.then((p) => userGraphs!.startWriter?.([p.input])),
      ]);
      const [poolStart, writerStart] = starting;
      if (poolStart.status === 'rejected' || writerStart.status === 'rejected') {
        if (poolStart.status === 'fulfilled') await poolStart.value.close();
        if (writerStart.status === 'fulfilled') await writerStart.value?.close();
        await userGraphs?.writes?.close();
        throw poolStart.status === 'rejected'
          ? poolStart.reason
          : (writerStart as PromiseRejectedResult).reason;
      }
      pool = poolStart.value;
      writer = writerStart.value;
      data = prepared!.data;
      opened = userGraphs!;
    } else {
      const inputs: WorkerInput[] = sources.map((source) => ({ kind: 'file', source }));
      pool = await WorkerPool.start({
        ...poolOptions(config, logger, metrics),
        data: { inputs, statements: startupPredicates(config.baseIri) },
        onProgress: progress,
      });
      try {
        const startup = pool.startup!;
        const statements = parseStatements(startup.statements);
        const commit = dataCommit(config.dataPaths);
        data = {
          nquads: undefined,
          graphs: graphInfos(sources, startup.report.files),
          version: datasetVersion(
            sources.map((source, i) => ({
              source,
              sha256: startup.report.files[i]?.sha256 ?? '',
            })),
          ),
          quadCount: startup.report.quadCount,
          labels: LabelIndex.fromStatements(statements),
          gazetteer: Gazetteer.fromStatements(statements, config.baseIri),
          loaded: {
            at: new Date().toISOString(),
            ...(commit === undefined ? {} : { sourceCommit: commit }),
          },
        };
        pool.setGazetteer(data.gazetteer!);
        opened = await openUserGraphs(config, logger, data);
      } catch (error) {
        await pool.close();
        throw error;
      }
      try {
        const userGraphs = opened.writes;
        if (userGraphs !== undefined && userGraphs.quadCount > 0)
          pool.apply({ delete: '', insert: userGraphs.nquads() });
        // The writer reads the data files as the query workers did (after them: two cores).
        writer = await opened.startWriter?.(inputs);
      } catch (error) {
        await pool.close();
        await opened.writes?.close();
        throw error;
      }
    }
  } catch (error) {
    await stopListening();
    throw error;
  }
  const writes = opened.writes;
  const version = (): string => writes?.version ?? data.version;
  const journal = writes?.journal;
  if (journal !== undefined) metrics.setJournalSizeCollector(() => journal.sizeBytes);
  live.engine = pool;
  // Repeated questions are answered from memory; the data version is part of every key.
  const cache = new CachingEngine(pool, version(), config.cacheBytes);
  live.cache = cache;
  const labels = data.labels ?? new LabelIndex();
  if (writes !== undefined) {
    // Labels of the user graphs: an overlay index, rebuilt on the first look-up after a write.
    const overlay = (): LabelIndex => writes.withStore((store) => LabelIndex.fromStore(store));
    labels.setOverlay(overlay);
    let changesSinceRebase = 0;
    writes.onCommit((change, result) => {
      pool.apply(change);
      writer?.apply(change);
      cache.invalidate(result.version);
      labels.setOverlay(overlay);
      // Workers started later (after a timeout) replay the pool's changes: keep that list short.
      if (++changesSinceRebase >= 256) {
        changesSinceRebase = 0;
        const now = [{ delete: '', insert: writes.nquads() }];
        pool.rebaseChanges(now);
        writer?.rebaseChanges(now);
      }
    });
  }
  const lifecycle: Lifecycle = { state: () => state, readyWorkers: () => pool.readyWorkers };
  const gazetteer = data.gazetteer;
  const app = createApp({
    config,
    engine: cache,
    logger,
    graphs: data.graphs,
    get version() {
      return version();
    },
    labels,
    gazetteer: data.gazetteer ?? new Gazetteer(),
    queries: await loadSavedQueries(config.queriesDir),
    nquads: dumpSource(data.nquads, pool, writes),
    writes,
    ...(data.loaded === undefined ? {} : { loaded: data.loaded }),
    limits,
    metrics,
    lifecycle,
    ...(gazetteer === undefined
      ? {}
      : {
          link: async (job, options) => {
            // Small texts are linked here (milliseconds); anything bigger, and every HTML or PDF
            // body, in a worker under the query deadline, so that no input can stall this thread.
            if (!isSmallLinkJob(job))
              return pool.link(job, { timeoutMs: config.queryTimeoutMs, ...options });
            const started = performance.now();
            const outcome = await runLinkJob(job, gazetteer);
            options?.onCost?.(performance.now() - started);
            return outcome;
          },
        }),
  });
  // Cached answers to GET /sparql go out straight from Node's HTTP server, with the same headers,
  // counted in the metrics like any request; while draining, everything goes the full way.
  const httpLog = logger.child({ module: 'http' });
  const sparqlLog = logger.child({ module: 'sparql' });
  const cachedAnswer = createCachedAnswerHandler({
    cache,
    serviceAllowlist: config.serviceAllowlist,
    maxResultRows: config.maxResultRows,
    headers: captureHeaders(edgeMiddleware() as unknown as Middleware[]),
    log: (entry) =>
      entry.status >= 500 ? httpLog.error(entry, 'request') : httpLog.info(entry, 'request'),
    metrics,
    // Machines' GET queries are answered here too, cached or not: the framework's routing and
    // middleware cost a fifth of a millisecond per request.
    ...(options.directQueries === false
      ? {}
      : {
          direct: {
            queryTimeoutMs: config.queryTimeoutMs,
            limits,
            logQuery: (entry) => sparqlLog.debug(entry, 'query'),
            logFailure: (error, failedUrl) =>
              logger.error({ err: error, url: failedUrl }, 'request failed'),
          },
        }),
  });
  handler = (req, res) => {
    if (state !== 'serving' || !cachedAnswer(req, res)) app(req, res);
  };
  state = 'serving';
  log.info(
    {
      url,
      engine: pool.description,
      graphs: data.graphs.length,
      quads: data.quadCount,
      userQuads: writes?.quadCount ?? 0,
      writes: writes?.writable === true,
      workers: config.workers,
      ms: Math.round(performance.now() - started),
    },
    'serving',
  );

  const hooks: Array<() => Promise<void> | void> = [];
  let stopping: Promise<{ cut: number }> | undefined;
  const shutdown = (graceMs = config.shutdownGraceMs): Promise<{ cut: number }> => {
    stopping ??= (async () => {
      state = 'draining';
      log.info({ graceMs }, 'shutting down: no new connections; finishing requests in flight');
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      // Idle keep-alive connections close now; busy ones after their response (which says
      // `Connection: close`), checked until none is left.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), graceMs);
      });
      const outcome = await Promise.race([drained.then(() => 'drained' as const), deadline]);
      clearInterval(sweep);
      clearTimeout(timer);
      let cut = 0;
      if (outcome === 'deadline') {
        cut = await new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
        log.warn({ connections: cut }, 'shutdown deadline reached; cutting connections');
        server.closeAllConnections();
        await drained;
      }
      for (const hook of hooks) {
        try {
          await hook();
        } catch (error) {
          log.error({ err: error }, 'shutdown hook failed');
        }
      }
      // Writes under way finish and reach the journal before it closes.
      await writes?.close();
      await writer?.close();
      await pool.close();
      log.info({ cut }, 'stopped');
      return { cut };
    })();
    return stopping;
  };

  return {
    url,
    server,
    engine: pool,
    cache,
    writer,
    graphs: data.graphs,
    quadCount: data.quadCount,
    labels,
    writes,
    journal: writes?.journal,
    get version() {
      return version();
    },
    metrics,
    limits,
    async close(): Promise<void> {
      state = 'draining';
      await stopListening();
      // Writes under way finish and reach the journal before it closes.
      await writes?.close();
      await writer?.close();
      await pool.close();
    },
    shutdown,
    onShutdown(hook): void {
      hooks.push(hook);
    },
  };
}
