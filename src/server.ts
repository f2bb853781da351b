/**
 * Starting the server: find and load the data (all or nothing), read the user graphs from the
 * journal, start the query workers, listen.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp, edgeMiddleware } from './app.js';
import { captureHeaders, createCachedAnswerHandler, type Middleware } from './sparql/fastPath.js';
import type { Config } from './config.js';
import { findDataSources } from './graph/files.js';
import { loadDataset, sourcesAsWritten, type GraphInfo, type LoadProgress } from './graph/load.js';
import type { Logger } from './log.js';
import { WorkerPool } from './sparql/workerPool.js';
import { CachingEngine } from './sparql/cachingEngine.js';
import { LabelIndex } from './web/labels.js';
import { Gazetteer } from './linker/gazetteer.js';
import { loadSavedQueries } from './reports/savedQueries.js';
import { freeStore } from './graph/oxigraphUtil.js';
import type { Journal } from './graph/journal.js';
import { userGraphNamespace, UserGraphs } from './graph/userGraphs.js';

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  readonly engine: WorkerPool;
  /** The result cache in front of the pool. */
  readonly cache: CachingEngine;
  /** The writer worker that works out writes (when writes are enabled). */
  readonly writer: WorkerPool | undefined;
  readonly graphs: readonly GraphInfo[];
  /** The user graphs (undefined without a state directory). */
  readonly writes: UserGraphs | undefined;
  /**
   * The write journal, when writes are enabled: every acknowledged write is already on disk;
   * `flush()` waits for writes under way, `close()` flushes and releases it, `sizeBytes` is its size.
   */
  readonly journal: Journal | undefined;
  /** The data version (changes with every write). */
  readonly version: string;
  close(): Promise<void>;
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
    const labels = LabelIndex.fromStore(loaded.store);
    const gazetteer = Gazetteer.fromStore(loaded.store, config.baseIri);
    return {
      nquads,
      graphs: loaded.graphs,
      version: loaded.version,
      quadCount: loaded.quadCount,
      labels,
      gazetteer,
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
  data: ServableDataset,
): Promise<{
  writes: UserGraphs | undefined;
  startWriter: (() => Promise<WorkerPool>) | undefined;
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
  const startWriter = async (): Promise<WorkerPool> => {
    writer = await WorkerPool.start({
      // Always Oxigraph: it runs SPARQL Update; it reads the Comunica engine's N-Quads as well.
      engine: 'oxigraph',
      nquads: data.nquads,
      changes: writes.quadCount > 0 ? [{ delete: '', insert: writes.nquads() }] : [],
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

/**
 * Starts the whole server on `config.port` (0 picks a free port).
 * @param config - validated configuration
 * @param logger - root logger
 * @param dataset - a dataset already loaded (tests); loaded from `config.dataPaths` otherwise
 */
export async function startServer(
  config: Config,
  logger: Logger,
  dataset?: ServableDataset,
): Promise<RunningServer> {
  const log = logger.child({ module: 'server' });
  const started = performance.now();
  const data =
    dataset ??
    (await loadServableDataset(config, (e) => {
      if (e.type === 'file-done')
        log.debug({ file: e.file, quads: e.quads, ms: Math.round(e.ms) }, 'loaded');
      if (e.type === 'file-progress')
        log.info({ file: e.file, percent: Math.round((100 * e.bytesDone) / e.bytes) }, 'loading');
    }));
  const { writes, startWriter } = await openUserGraphs(config, logger, data);
  const version = (): string => writes?.version ?? data.version;
  const userQuads = writes?.quadCount ?? 0;
  // The query workers and the writer load the data side by side.
  const starting = await Promise.allSettled([
    WorkerPool.start({
      engine: config.engine,
      nquads: data.nquads,
      // The user graphs go in as a change, which keeps their blank node labels.
      changes: userQuads > 0 ? [{ delete: '', insert: writes!.nquads() }] : [],
      size: config.workers,
      maxRows: config.maxResultRows,
      serviceAllowlist: config.serviceAllowlist,
      defaultTimeoutMs: config.queryTimeoutMs,
      logger,
    }),
    startWriter?.(),
  ]);
  const [pool, writerStart] = starting;
  if (pool.status === 'rejected' || writerStart.status === 'rejected') {
    if (pool.status === 'fulfilled') await pool.value.close();
    if (writerStart.status === 'fulfilled') await writerStart.value?.close();
    await writes?.close();
    throw pool.status === 'rejected' ? pool.reason : (writerStart as PromiseRejectedResult).reason;
  }
  const engine = pool.value;
  const writer = writerStart.value;
  // Repeated questions are answered from memory; the data version is part of every key.
  const cached = new CachingEngine(engine, version(), config.cacheBytes);
  const labels = data.labels ?? new LabelIndex();
  if (writes !== undefined) {
    // Labels of the user graphs: an overlay index, rebuilt on the first look-up after a write.
    const overlay = (): LabelIndex => writes.withStore((store) => LabelIndex.fromStore(store));
    labels.setOverlay(overlay);
    let changesSinceRebase = 0;
    writes.onCommit((change, result) => {
      engine.apply(change);
      writer?.apply(change);
      cached.invalidate(result.version);
      labels.setOverlay(overlay);
      // Workers started later (after a timeout) replay the pool's changes: keep that list short.
      if (++changesSinceRebase >= 256) {
        changesSinceRebase = 0;
        const now = [{ delete: '', insert: writes.nquads() }];
        engine.rebaseChanges(now);
        writer?.rebaseChanges(now);
      }
    });
  }
  const app = createApp({
    config,
    engine: cached,
    logger,
    graphs: data.graphs,
    get version() {
      return version();
    },
    labels,
    gazetteer: data.gazetteer ?? new Gazetteer(),
    queries: await loadSavedQueries(config.queriesDir),
    nquads: () => (writes === undefined ? data.nquads : data.nquads + writes.nquads()),
    writes,
  });
  // Cached answers to GET /sparql go out straight from Node's HTTP server, with the same headers.
  const httpLog = logger.child({ module: 'http' });
  const cachedAnswer = createCachedAnswerHandler({
    cache: cached,
    serviceAllowlist: config.serviceAllowlist,
    maxResultRows: config.maxResultRows,
    headers: captureHeaders(edgeMiddleware() as unknown as Middleware[]),
    log: (entry) => httpLog.info(entry, 'request'),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer((req, res) => {
      if (!cachedAnswer(req, res)) app(req, res);
    });
    s.once('error', reject);
    s.listen(config.port, config.host, () => resolve(s));
  }).catch(async (error: unknown) => {
    await writes?.close();
    await writer?.close();
    await engine.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info(
    {
      url,
      engine: engine.description,
      graphs: data.graphs.length,
      quads: data.quadCount,
      userQuads,
      writes: writes?.writable === true,
      workers: config.workers,
      ms: Math.round(performance.now() - started),
    },
    'serving',
  );
  return {
    url,
    server,
    engine,
    cache: cached,
    writer,
    graphs: data.graphs,
    writes,
    journal: writes?.journal,
    get version() {
      return version();
    },
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Writes under way finish and reach the journal before it closes.
      await writes?.close();
      await writer?.close();
      await engine.close();
    },
  };
}
