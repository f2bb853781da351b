/**
 * The composition root: mounts each concern's router in an explicit order, then the 404 and the one
 * error handler that turns errors into responses.
 */
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Config } from './config.js';
import { isHttpError, NotFoundHttpError } from './errors.js';
import type { GraphInfo } from './graph/load.js';
import type { Logger } from './log.js';
import type { QueryEngine } from './sparql/engine.js';
import { createSparqlRouter } from './sparql/router.js';
import type { LabelIndex } from './web/labels.js';
import type { SavedQuery } from './reports/savedQueries.js';
import { DumpStore } from './web/dumps.js';
import { standardPrefixes } from './web/rdfOut.js';
import { createWebRouter } from './web/router.js';
import { createReconcileRouter } from './linker/reconcileRouter.js';
import { Gazetteer } from './linker/gazetteer.js';
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
  readonly version: string;
  readonly labels: LabelIndex;
  /** The linker's gazetteer. */
  readonly gazetteer?: Gazetteer;
  /** Saved queries (examples, reports). */
  readonly queries?: readonly SavedQuery[];
  /** The dataset as N-Quads, for the dumps. */
  readonly nquads?: () => Promise<string>;
}

/** Body-parser's error types, made into sentences a client can act on. */
function describeBodyError(
  error: { type?: string; limit?: number },
  config: Config,
): string | undefined {
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
 * Builds the Express application over a loaded dataset and a started engine.
 * @param deps - config, engine, logger and the dataset's graph list
 */
export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLog(logger.child({ module: 'http' })));
  app.use(
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
    }),
  );
  app.use(cors({ exposedHeaders: ['X-Result-Truncated', 'Content-Location', 'Link'] }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', engine: deps.engine.name, version: deps.version });
  });
  app.use(createLinkerRouter({ config, gazetteer: deps.gazetteer ?? new Gazetteer() }));
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
        deps.nquads ?? (() => Promise.resolve('')),
        standardPrefixes(config.baseIri),
      ),
      version: deps.version,
      graphCount: deps.graphs.length,
    }),
  );
  app.use(
    '/reconcile',
    createReconcileRouter({ engine: deps.engine, labels: deps.labels, config }),
  );
  app.use(
    '/sparql',
    createSparqlRouter({
      engine: deps.engine,
      config,
      logger,
      service: {
        baseIri: config.baseIri,
        engineDescription: deps.engine.description,
        queryTimeoutMs: config.queryTimeoutMs,
        maxResultRows: config.maxResultRows,
        maxBodyBytes: config.maxBodyBytes,
        serviceAllowlist: config.serviceAllowlist,
        graphs: deps.graphs,
        version: deps.version,
      },
    }),
  );

  const notFound: RequestHandler = (req, _res, next) => {
    next(new NotFoundHttpError(`Nothing is served at ${req.path}.`));
  };
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const bodyMessage = describeBodyError(error as { type?: string }, config);
    const status = isHttpError(error) ? error.statusCode : 500;
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
