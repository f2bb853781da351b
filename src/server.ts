/**
 * Starting the server: find and load the data (all or nothing), start the query workers, listen.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { dataCommit } from './graph/versions.js';

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  readonly engine: WorkerPool;
  /** The result cache in front of the pool. */
  readonly cache: CachingEngine;
  readonly graphs: readonly GraphInfo[];
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
    const labels = LabelIndex.fromStore(loaded.store);
    const gazetteer = Gazetteer.fromStore(loaded.store, config.baseIri);
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
  const engine = await WorkerPool.start({
    engine: config.engine,
    nquads: data.nquads,
    size: config.workers,
    maxRows: config.maxResultRows,
    serviceAllowlist: config.serviceAllowlist,
    serviceTimeoutMs: config.serviceTimeoutMs,
    serviceTimeouts: config.serviceTimeouts,
    defaultTimeoutMs: config.queryTimeoutMs,
    logger,
  });
  // Repeated questions are answered from memory; the data version is part of every key.
  const cached = new CachingEngine(engine, data.version, config.cacheBytes);
  const app = createApp({
    config,
    engine: cached,
    logger,
    graphs: data.graphs,
    version: data.version,
    labels: data.labels ?? new LabelIndex(),
    gazetteer: data.gazetteer ?? new Gazetteer(),
    queries: await loadSavedQueries(config.queriesDir),
    nquads: () => data.nquads,
    ...(data.loaded === undefined ? {} : { loaded: data.loaded }),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (error: unknown) => {
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
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.close();
    },
  };
}
