/**
 * Starting the server over a remote SPARQL store (`--store URL`): no files loaded, no worker pool;
 * queries go to the store through the RemoteEngine, queries with SERVICE to Comunica federating over
 * the store and the allowlisted endpoints, and every route — endpoint, pages, search, reports, the
 * linker, reconciliation — is served as over the embedded store.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, QueryTimeoutHttpError } from './errors.js';
import { isRemoteStore, type Config } from './config.js';
import type { GraphInfo } from './graph/load.js';
import { connectRemoteDataset, type RemoteDataset } from './graph/remoteDataset.js';
import type { Logger } from './log.js';
import { loadSavedQueries } from './reports/savedQueries.js';
import { CachingEngine } from './sparql/cachingEngine.js';
import { createLocalEngine } from './sparql/localEngine.js';
import type { RemoteEngine } from './sparql/remoteEngine.js';
import type { QueryEngine, QueryOptions, QueryRequest, QueryResponse } from './sparql/engine.js';

/**
 * SERVICE is Comunica's: it federates the allowlisted endpoints with the store itself as source.
 * Started on the first such query (Comunica takes seconds to load), each query bounded by the
 * query time limit as well as the per-service ones.
 * @param config - allowlist, time limits, the store
 */
export function federationEngine(config: Config): QueryEngine {
  let engine: Promise<QueryEngine> | undefined;
  const start = (): Promise<QueryEngine> =>
    (engine ??= createLocalEngine('comunica', '', {
      maxRows: config.maxResultRows,
      serviceAllowlist: config.serviceAllowlist,
      serviceTimeoutMs: config.serviceTimeoutMs,
      serviceTimeouts: config.serviceTimeouts,
      sparqlSources: [config.store],
    }));
  return {
    name: 'comunica',
    description: 'Comunica (federation over the store and the allowlisted endpoints)',
    async query(request: QueryRequest, options: QueryOptions = {}): Promise<QueryResponse> {
      const timeoutMs = options.timeoutMs ?? config.queryTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QueryTimeoutHttpError(timeoutMs)), timeoutMs);
      });
      try {
        return await Promise.race([(await start()).query(request, options), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close(): Promise<void> {
      if (engine !== undefined) await (await engine).close();
    },
  };
}

export interface RunningRemoteServer {
  readonly url: string;
  readonly server: Server;
  readonly engine: RemoteEngine;
  readonly cache: CachingEngine;
  readonly graphs: readonly GraphInfo[];
  readonly dataset: RemoteDataset;
  close(): Promise<void>;
}

/**
 * Connects to the store named by `config.store` and serves it on `config.port`.
 * @param config - validated configuration with a remote store
 * @param logger - root logger
 * @throws StoreUnavailableError when the store does not answer
 */
export async function startRemoteServer(
  config: Config,
  logger: Logger,
): Promise<RunningRemoteServer> {
  if (!isRemoteStore(config))
    throw new ConfigError('startRemoteServer needs --store set to a SPARQL endpoint URL.');
  const log = logger.child({ module: 'server' });
  const started = performance.now();
  const federation = federationEngine(config);
  let data: RemoteDataset;
  try {
    data = await connectRemoteDataset(config, logger, federation);
  } catch (error) {
    await federation.close();
    throw error;
  }

  const engine = data.engine;
  const cached = new CachingEngine(engine, data.version, config.cacheBytes);
  const app = createApp({
    config,
    engine: cached,
    logger,
    graphs: data.graphs,
    version: data.version,
    labels: data.labels,
    gazetteer: data.gazetteer,
    queries: await loadSavedQueries(config.queriesDir),
    nquads: () => data.nquads(),
    ...(data.record === undefined
      ? {}
      : {
          loaded: {
            at: data.record.loadedAt,
            ...(data.record.sourceCommit === undefined
              ? {}
              : { sourceCommit: data.record.sourceCommit }),
          },
        }),
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
    dataset: data,
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.close();
    },
  };
}
