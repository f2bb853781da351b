/**
 * Starting the server: find and load the data (all or nothing), read the user graphs from the
 * journal, start the query workers, listen.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import oxigraph from 'oxigraph';
import { createApp } from './app.js';
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
import { UserGraphs } from './graph/userGraphs.js';
import { ShapeValidator } from './graph/validate.js';

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  readonly engine: WorkerPool;
  /** The result cache in front of the pool. */
  readonly cache: CachingEngine;
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
  /**
   * The loaded store, kept when writes are enabled (it becomes the master store writes run
   * against); whoever holds the dataset owns it.
   */
  readonly store?: oxigraph.Store;
}

/**
 * Loads the configured data paths into N-Quads (validating every file first).
 * @throws DataLoadError naming file, line and column
 */
export async function loadServableDataset(
  config: Pick<Config, 'dataPaths' | 'baseIri' | 'engine'> &
    Partial<Pick<Config, 'writeTokenSha256'>>,
  onProgress?: (event: LoadProgress) => void,
): Promise<ServableDataset> {
  const sources = await findDataSources(config.dataPaths, config.baseIri);
  const loaded = await loadDataset(sources, onProgress);
  const keep = (config.writeTokenSha256 ?? '') !== '';
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
      ...(keep ? { store: loaded.store } : {}),
    };
  } finally {
    if (!keep) freeStore(loaded.store);
  }
}

/**
 * Reads the user graphs from `{stateDir}/writes`; with a write token, also opens the journal for
 * writing, over a master store holding the whole dataset.
 */
async function openUserGraphs(
  config: Config,
  logger: Logger,
  data: ServableDataset,
): Promise<{ writes: UserGraphs | undefined; master: oxigraph.Store | undefined }> {
  if (config.stateDir === '') return { writes: undefined, master: undefined };
  const curated = new Set(data.graphs.flatMap((g) => [g.graph, ...g.namedGraphs]));
  let master: oxigraph.Store | undefined;
  if (config.writeTokenSha256 !== '') {
    master = data.store;
    if (master === undefined) {
      // A dataset handed in without its store: rebuild one from the N-Quads.
      master = new oxigraph.Store();
      master.load(data.nquads, { format: 'application/n-quads' });
    }
  }
  try {
    const writes = await UserGraphs.open({
      baseIri: config.baseIri,
      dir: path.join(config.stateDir, 'writes'),
      compactBytes: config.journalCompactBytes,
      curatedGraphs: curated,
      curatedVersion: data.version,
      logger,
      ...(master === undefined
        ? {}
        : {
            master,
            validator: ShapeValidator.fromStore(master, config.baseIri, (g) => curated.has(g)),
          }),
    });
    return { writes, master };
  } catch (error) {
    if (master !== undefined) freeStore(master);
    throw error;
  }
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
  const { writes, master } = await openUserGraphs(config, logger, data);
  const version = (): string => writes?.version ?? data.version;
  const userQuads = writes?.quadCount ?? 0;
  let engine: WorkerPool;
  try {
    engine = await WorkerPool.start({
      engine: config.engine,
      nquads: data.nquads,
      // The user graphs go in as a change, which keeps their blank node labels.
      changes: userQuads > 0 ? [{ delete: '', insert: writes!.nquads() }] : [],
      size: config.workers,
      maxRows: config.maxResultRows,
      serviceAllowlist: config.serviceAllowlist,
      defaultTimeoutMs: config.queryTimeoutMs,
      logger,
    });
  } catch (error) {
    await writes?.close();
    if (master !== undefined) freeStore(master);
    throw error;
  }
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
      cached.invalidate(result.version);
      labels.setOverlay(overlay);
      // Workers started later (after a timeout) replay the pool's changes: keep that list short.
      if (++changesSinceRebase >= 256) {
        changesSinceRebase = 0;
        engine.rebaseChanges([{ delete: '', insert: writes.nquads() }]);
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
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (error: unknown) => {
    await writes?.close();
    await engine.close();
    if (master !== undefined) freeStore(master);
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
      await engine.close();
      if (master !== undefined) freeStore(master);
    },
  };
}
