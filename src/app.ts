/**
 * The composition root: mounts each concern's router in an explicit order, then the 404 and the one
 * error handler that turns errors into responses.
 */
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { ClientLimits, clientKey } from './clientLimits.js';
import type { Config } from './config.js';
import {
  isHttpError,
  NotFoundHttpError,
  ServiceUnavailableHttpError,
  TooManyRequestsHttpError,
} from './errors.js';
import { Metrics } from './metrics.js';
import { assertPercentEncoded } from './sparql/protocol.js';
import type { GraphInfo } from './graph/load.js';
import type { Logger } from './log.js';
import type { QueryEngine } from './sparql/engine.js';
import { createSparqlRouter } from './sparql/router.js';
import { prefersHtml } from './sparql/formats.js';
import { createGraphStoreRouter } from './sparql/graphStoreRouter.js';
import { userGraphNamespace, type UserGraphs } from './graph/userGraphs.js';
import type { LabelIndex } from './web/labels.js';
import type { SavedQuery } from './reports/savedQueries.js';
import { DumpStore } from './web/dumps.js';
import { standardPrefixes } from './web/rdfOut.js';
import { createWebRouter } from './web/router.js';
import { createReconcileRouter } from './linker/reconcileRouter.js';
import { Gazetteer } from './linker/gazetteer.js';
import type { LinkRunner } from './linker/job.js';
import { createLinkerRouter } from './linker/router.js';
import { createReportsRouter } from './reports/router.js';
import { ShortLinks } from './web/shortLinks.js';
import { errorPage, notFoundPage } from './web/views.js';
import helmet from 'helmet';

export interface AppDeps {
  readonly config: Config;
  readonly engine: QueryEngine;
  readonly logger: Logger;
  readonly graphs: readonly GraphInfo[];
  /** The data version; read on every use, so a getter can follow writes. */
  readonly version: string;
  readonly labels: LabelIndex;
  /** The linker's gazetteer. */
  readonly gazetteer?: Gazetteer;
  /** Saved queries (examples, reports). */
  readonly queries?: readonly SavedQuery[];
  /** The dataset as N-Quads, for the dumps. */
  readonly nquads?: () => string | Promise<string>;
  /** When and from which commit the data was loaded (shown in the VoID description). */
  readonly loaded?: { readonly at: string; readonly sourceCommit?: string };
  /** The user graphs (read-only without a write token). */
  readonly writes?: UserGraphs;
  /** Per-client limits (default: from the config). */
  readonly limits?: ClientLimits;
  /** Prometheus metrics (default: a registry of the app's own). */
  readonly metrics?: Metrics;
  /** Where the server is in its life, for `/ready` and for draining at shutdown (default: serving). */
  readonly lifecycle?: Lifecycle;
  /** Where linking runs (default: in this thread). */
  readonly link?: LinkRunner;
}

/** The server's state as readiness sees it. */
export interface Lifecycle {
  /** `serving` once the data is loaded and the workers are up; `draining` after SIGTERM. */
  state(): 'starting' | 'serving' | 'draining';
  /** Query workers able to take a query now. */
  readyWorkers(): number;
}

/** Paths answered whatever the load, the limits or the shutdown: probes and metrics. */
const PROBES = new Set(['/health', '/ready', '/metrics']);

/**
 * Whether the server is ready, and if not, why (the body of `/ready`).
 * @param lifecycle - state and workers
 */
export function readiness(lifecycle: Lifecycle): {
  ready: boolean;
  status: string;
  workers: number;
} {
  const state = lifecycle.state();
  const workers = lifecycle.readyWorkers();
  if (state !== 'serving') return { ready: false, status: state, workers };
  if (workers === 0) return { ready: false, status: 'no-workers', workers };
  return { ready: true, status: 'ready', workers };
}

/** Body-parser's error types, made into sentences a client can act on. */
function describeBodyError(
  error: { type?: string; limit?: number },
  config: Config,
): string | undefined {
  // Our own HttpErrors thrown from a parser's `verify` hook keep their message.
  if (error.type === 'entity.verify.failed') return undefined;
  if (error.type === 'entity.too.large') {
    return `Request body too large: the limit is ${config.maxBodyBytes} bytes.`;
  }
  if (error.type === 'charset.unsupported') return 'Unsupported charset: send UTF-8.';
  if (error.type === 'encoding.unsupported')
    return 'Unsupported content encoding: send the body uncompressed.';
  if (error.type === 'request.aborted') return 'The request was aborted by the client.';
  return undefined;
}

/** One log line per request, with status and duration, when the response is finished. */
function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const entry = {
        method: req.method,
        url: req.originalUrl,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 100) / 100,
      };
      if (res.statusCode >= 500) log.error(entry, 'request');
      else log.info(entry, 'request');
    });
    next();
  };
}

/**
 * The security headers (helmet) and CORS every response carries — shared with the server's cached-answer
 * fast path, which captures the headers they set so that both paths send the same ones.
 */
export function edgeMiddleware(): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'", 'data:'],
          // Served over plain HTTP on localhost too: TLS (and HSTS) belong to the proxy in front.
          upgradeInsecureRequests: null,
        },
      },
      strictTransportSecurity: false,
      crossOriginResourcePolicy: { policy: 'cross-origin' },
    }) as RequestHandler,
    cors({ exposedHeaders: ['X-Result-Truncated', 'Content-Location', 'Link', 'Location'] }),
  ];
}

/**
 * Builds the Express application over a loaded dataset and a started engine.
 * @param deps - config, engine, logger and the dataset's graph list
 */
export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const limits =
    deps.limits ??
    new ClientLimits({
      concurrency: config.clientConcurrency,
      budgetMs: config.clientBudgetMs,
      windowMs: config.clientWindowMs,
    });
  const metrics = deps.metrics ?? new Metrics();
  const lifecycle: Lifecycle = deps.lifecycle ?? {
    state: () => 'serving',
    readyWorkers: () => 1,
  };
  const app = express();
  app.disable('x-powered-by');
  // Behind a reverse proxy on the same machine, the client is the address it forwards.
  app.set('trust proxy', 'loopback');
  app.use((req, res, next) => {
    const done = metrics.startRequest(req.path, req.method);
    res.on('close', () => done(res.statusCode));
    // While draining, every response closes its connection, so keep-alive clients reconnect
    // elsewhere and the server can finish.
    if (lifecycle.state() === 'draining') res.set('Connection', 'close');
    next();
  });
  app.use(requestLog(logger.child({ module: 'http' })));
  for (const m of edgeMiddleware()) app.use(m);
  app.use((req, _res, next) => {
    assertPercentEncoded(req.url, 'The URL');
    next();
  });

  // Liveness: the process answers. Readiness: it can serve queries now.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', engine: deps.engine.name, version: deps.version });
  });
  app.get('/ready', (_req, res) => {
    const state = readiness(lifecycle);
    if (!state.ready) res.status(503).set('Retry-After', '5');
    res.set('Cache-Control', 'no-store').json({ status: state.status, workers: state.workers });
  });
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.set('Cache-Control', 'no-store').type(contentType).send(body);
  });
  app.use((req, res, next) => {
    if (PROBES.has(req.path)) {
      next();
      return;
    }
    if (lifecycle.state() === 'draining') {
      throw new ServiceUnavailableHttpError('The server is shutting down; try again shortly.', 5);
    }
    // Static assets are cheap and a browser fetches several at once: they are not counted.
    if (req.path.startsWith('/assets/')) {
      next();
      return;
    }
    const admitted = limits.acquire(clientKey(req.ip));
    if ('reason' in admitted) {
      throw new TooManyRequestsHttpError(
        admitted.message,
        admitted.retryAfterSeconds,
        'concurrency',
      );
    }
    res.on('close', admitted.release);
    next();
  });
  const sparqlRouter = createSparqlRouter({
    engine: deps.engine,
    config,
    logger,
    writes: deps.writes,
    limits,
    service: {
      baseIri: config.baseIri,
      engineDescription: deps.engine.description,
      queryTimeoutMs: config.queryTimeoutMs,
      maxResultRows: config.maxResultRows,
      maxBodyBytes: config.maxBodyBytes,
      serviceAllowlist: config.serviceAllowlist,
      clientConcurrency: config.clientConcurrency,
      clientBudgetMs: config.clientBudgetMs,
      clientWindowMs: config.clientWindowMs,
      graphs: deps.graphs,
      get version() {
        return deps.version;
      },
      ...(deps.writes?.writable === true
        ? { userGraphNamespace: userGraphNamespace(config.baseIri) }
        : {}),
    },
  });
  // SPARQL Protocol requests go straight to the endpoint, past the page and API routers; a browser
  // asking for /sparql falls through to the query UI (the web router).
  app.use('/sparql', (req, res, next) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && prefersHtml(req.get('accept'))) {
      next();
      return;
    }
    sparqlRouter(req, res, next);
  });
  app.use(
    createLinkerRouter({
      config,
      gazetteer: deps.gazetteer ?? new Gazetteer(),
      limits,
      ...(deps.link === undefined ? {} : { link: deps.link }),
    }),
  );
  app.use(
    createReportsRouter({
      engine: deps.engine,
      config,
      labels: deps.labels,
      queries: deps.queries ?? [],
    }),
  );
  // Pages first: a browser asking for /sparql gets the query UI; machines fall through to the protocol.
  app.use(
    createWebRouter({
      engine: deps.engine,
      config,
      labels: deps.labels,
      logger,
      queries: deps.queries ?? [],
      shortLinks: new ShortLinks(config.stateDir === '' ? undefined : config.stateDir),
      dumps: new DumpStore(
        deps.nquads ?? (() => ''),
        standardPrefixes(config.baseIri),
        () => deps.version,
      ),
      get version() {
        return deps.version;
      },
      graphCount: deps.graphs.length,
      ...(deps.loaded === undefined ? {} : { loaded: deps.loaded }),
    }),
  );
  app.use(
    '/reconcile',
    createReconcileRouter({ engine: deps.engine, labels: deps.labels, config }),
  );
  app.use(
    '/sparql/graph',
    createGraphStoreRouter({ engine: deps.engine, config, logger, writes: deps.writes }),
  );
  const notFound: RequestHandler = (req, _res, next) => {
    next(new NotFoundHttpError(`Nothing is served at ${req.path}.`));
  };
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const bodyMessage = describeBodyError(error as { type?: string }, config);
    const status = isHttpError(error) ? error.statusCode : 500;
    if (error instanceof TooManyRequestsHttpError) metrics.refused(error.reason);
    const message =
      bodyMessage ??
      (status < 500 || isHttpError(error) ? (error as Error).message : 'Internal Server Error');
    if (status >= 500) logger.error({ err: error, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return;
    if (isHttpError(error)) res.set(error.headers);
    // People get pages; the endpoint and the APIs get plain text, as SPARQL clients expect.
    const wantsHtml =
      !req.path.startsWith('/sparql') &&
      !req.path.startsWith('/api/') &&
      req.accepts(['text/plain', 'text/html']) === 'text/html';
    if (wantsHtml) {
      res
        .status(status)
        .type('text/html; charset=utf-8')
        .send(status === 404 ? notFoundPage(message) : errorPage(status, message));
      return;
    }
    res.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);
  };
  app.use(notFound);
  app.use(onError);
  return app;
}
