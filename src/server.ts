/**
 * Starting the server: find and load the data (all or nothing), start the query workers, listen.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { findDataSources } from './graph/files.js';
import {
  datasetVersion,
  graphInfos,
  loadDataset,
  sourcesAsWritten,
  type GraphInfo,
  type LoadProgress,
} from './graph/load.js';
import { parseStatements, readStatements } from './graph/statements.js';
import type { WorkerInput } from './sparql/workerDataset.js';
import type { DataSource } from './graph/files.js';
import { promises as fs } from 'node:fs';
import type { Logger } from './log.js';
import { WorkerPool, type PoolData } from './sparql/workerPool.js';
import { CachingEngine } from './sparql/cachingEngine.js';
import { LabelIndex } from './web/labels.js';
import { Gazetteer } from './linker/gazetteer.js';
import { loadSavedQueries } from './reports/savedQueries.js';
import { freeStore } from './graph/oxigraphUtil.js';
import { RDF_TYPE, RDFS } from './vocab.js';

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  readonly engine: WorkerPool;
  /** The result cache in front of the pool. */
  readonly cache: CachingEngine;
  readonly graphs: readonly GraphInfo[];
  readonly quadCount: number;
  /** The label index the pages use. */
  readonly labels: LabelIndex;
  close(): Promise<void>;
}

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
    const statements = readStatements(loaded.store, startupPredicates(config.baseIri));
    const labels = LabelIndex.fromStatements(statements);
    const gazetteer = Gazetteer.fromStatements(statements, config.baseIri);
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
 * Data files larger than this in all are loaded by the query workers alone, straight from disk;
 * smaller ones by the main thread (which builds the indexes meanwhile) and handed to the workers as
 * N-Quads.
 */
export const IN_PROCESS_MAX_BYTES = 16 * 1024 * 1024;

export interface StartOptions {
  /** Progress through the data files (when not given a dataset). */
  readonly onProgress?: (event: LoadProgress) => void;
  /** Data larger than this is loaded by the workers alone (default `IN_PROCESS_MAX_BYTES`). */
  readonly inProcessMaxBytes?: number;
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
 * Starts the whole server on `config.port` (0 picks a free port). The query workers start at once.
 * Small data is loaded and indexed in the main thread meanwhile and handed to them as N-Quads;
 * large data is read, validated and loaded by each worker from disk (the main thread holds neither
 * the files nor a store), the workers share reading what the label index and the gazetteer need,
 * and the main thread builds those from it.
 * @param config - validated configuration
 * @param logger - root logger
 * @param dataset - a dataset already loaded (tests); loaded from `config.dataPaths` otherwise
 * @param options - progress through the data files; where large data starts
 * @throws DataLoadError naming file, line and column when a data file does not parse
 */
export async function startServer(
  config: Config,
  logger: Logger,
  dataset?: ServableDataset,
  options: StartOptions = {},
): Promise<RunningServer> {
  const { onProgress, inProcessMaxBytes = IN_PROCESS_MAX_BYTES } = options;
  const log = logger.child({ module: 'server' });
  const started = performance.now();
  const progress = (e: LoadProgress): void => {
    if (e.type === 'file-done')
      log.debug({ file: e.file, quads: e.quads, ms: Math.round(e.ms) }, 'loaded');
    if (e.type === 'file-progress')
      log.info({ file: e.file, percent: Math.round((100 * e.bytesDone) / e.bytes) }, 'loading');
    onProgress?.(e);
  };
  const sources =
    dataset === undefined ? await findDataSources(config.dataPaths, config.baseIri) : [];
  const inWorkers = dataset === undefined && (await totalBytes(sources)) > inProcessMaxBytes;
  let prepared: ServableDataset | undefined = dataset;
  const poolData: Promise<PoolData> = inWorkers
    ? Promise.resolve({
        inputs: sources.map((source) => ({ kind: 'file', source })),
        statements: startupPredicates(config.baseIri),
      })
    : (prepared !== undefined
        ? Promise.resolve(prepared)
        : loadServableDataset(config, progress).then((d) => (prepared = d))
      ).then((d) => ({ inputs: [preparedInput(d.nquads)] }));
  const engine = await WorkerPool.start({
    engine: config.engine,
    data: poolData,
    size: config.workers,
    maxRows: config.maxResultRows,
    serviceAllowlist: config.serviceAllowlist,
    defaultTimeoutMs: config.queryTimeoutMs,
    logger,
    ...(inWorkers ? { onProgress: progress } : {}),
  });
  let data: Omit<ServableDataset, 'nquads'>;
  try {
    if (prepared !== undefined) data = prepared;
    else {
      const startup = engine.startup!;
      const statements = parseStatements(startup.statements);
      data = {
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
      };
    }
  } catch (error) {
    await engine.close();
    throw error;
  }
  const nquadsText = prepared?.nquads;
  const nquads = nquadsText === undefined ? () => engine.dump() : () => Promise.resolve(nquadsText);
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
    nquads,
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
    quadCount: data.quadCount,
    labels: data.labels ?? new LabelIndex(),
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.close();
    },
  };
}
