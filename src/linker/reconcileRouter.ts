/**
 * The reconciliation service over HTTP (W3C Entity Reconciliation Service API v0.2, as OpenRefine
 * uses it); mount at `/reconcile`.
 *
 *   GET  /reconcile                       the service manifest
 *   GET|POST /reconcile?queries={…}       a reconciliation query batch (form-encoded on POST)
 *   GET|POST /reconcile?extend={…}        data extension
 *   GET  /reconcile/properties?type=…     data extension property proposals
 *   GET  /reconcile/suggest/entity|type|property?prefix=…&cursor=…
 *   GET  /reconcile/preview?id=…          an HTML preview for OpenRefine's iframe
 *   GET  /reconcile/view?id=…             redirects to the entity's page
 *
 * Every JSON answer is also JSONP when a `callback` parameter is given (CORS is on for the app).
 */
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { Config } from '../config.js';
import {
  BadRequestHttpError,
  HttpError,
  MethodNotAllowedHttpError,
  NotFoundHttpError,
} from '../errors.js';
import type { QueryEngine } from '../sparql/engine.js';
import { assertPercentEncoded, verifyUtf8Body } from '../sparql/protocol.js';
import type { LabelIndex } from '../web/labels.js';
import {
  DEFAULT_LIMIT,
  MAX_LIMIT,
  Reconciler,
  expandIri,
  parseExtendQuery,
  parseJsonParam,
  parseQuery,
  parseQueryBatch,
} from './reconcile.js';

export interface ReconcileRouterDeps {
  readonly engine: QueryEngine;
  readonly labels: LabelIndex;
  readonly config: Config;
}

/** A request parameter from the form body (POST) or the query string, as one string. */
function param(req: Request, name: string): string | undefined {
  const fromBody = (req.body as Record<string, unknown> | undefined)?.[name];
  const raw = fromBody ?? (req.query as Record<string, unknown>)[name];
  const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  return typeof value === 'string' ? value : undefined;
}

function intParam(req: Request, name: string, fallback: number, max: number): number {
  const raw = param(req, name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new BadRequestHttpError(`${name} must be a whole number.`);
  return Math.min(n, max);
}

/** JSON, or JSONP when the request names a `callback` (Express checks and sanitizes the name). */
function send(res: Response, body: unknown): void {
  res.set('Cache-Control', 'no-cache').jsonp(body);
}

/** The absolute URL the service is reached at, as the client sees it. */
function serviceRoot(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
}

/**
 * Creates the reconciliation router.
 * @param deps - engine, label index and config
 */
export function createReconcileRouter(deps: ReconcileRouterDeps): Router {
  const router = express.Router();
  const { config } = deps;
  const reconciler = new Reconciler({
    engine: deps.engine,
    labels: deps.labels,
    baseIri: config.baseIri,
  });
  const form = express.urlencoded({
    extended: false,
    limit: config.maxBodyBytes,
    parameterLimit: 20,
    verify: (req, res, bytes, encoding) => {
      verifyUtf8Body(req, res, bytes, encoding);
      assertPercentEncoded(bytes.toString('utf8'), 'The form body', false);
    },
  });

  const endpoint: RequestHandler = async (req, res) => {
    const queries = param(req, 'queries');
    if (queries !== undefined) {
      const batch = parseQueryBatch(parseJsonParam(queries, 'queries'), config.baseIri);
      send(res, await reconciler.reconcile(batch));
      return;
    }
    const extend = param(req, 'extend');
    if (extend !== undefined) {
      send(
        res,
        await reconciler.extend(parseExtendQuery(parseJsonParam(extend, 'extend'), config.baseIri)),
      );
      return;
    }
    // The single-query form of API v0.1: `query=France` or `query={"query": "France", …}`.
    const single = param(req, 'query');
    if (single !== undefined) {
      const raw = single.trimStart().startsWith('{')
        ? parseJsonParam(single, 'query')
        : { query: single };
      const results = await reconciler.reconcile(
        new Map([['q', parseQuery(raw, 'q', config.baseIri)]]),
      );
      send(res, { result: results.q?.result ?? [] });
      return;
    }
    if (req.method === 'POST') {
      throw new BadRequestHttpError('Send a queries or extend parameter (form-encoded).');
    }
    send(res, reconciler.manifest(serviceRoot(req)));
  };
  router
    .route('/')
    .get(endpoint)
    .post(form, endpoint)
    .all(() => {
      throw new MethodNotAllowedHttpError(['GET', 'POST']);
    });

  const prefixOf = (req: Request): string => {
    const prefix = param(req, 'prefix');
    if (prefix === undefined) throw new BadRequestHttpError('Give the text to complete as prefix.');
    return prefix;
  };
  router.get('/suggest/entity', async (req, res) => {
    const type = param(req, 'type');
    send(res, {
      result: await reconciler.suggestEntities(prefixOf(req), {
        cursor: intParam(req, 'cursor', 0, 10_000),
        limit: intParam(req, 'limit', DEFAULT_LIMIT, MAX_LIMIT),
        types: type === undefined || type === '' ? [] : [expandIri(type, config.baseIri)],
      }),
    });
  });
  router.get('/suggest/type', (req, res) => {
    send(res, {
      result: reconciler.suggestTypes(prefixOf(req), {
        cursor: intParam(req, 'cursor', 0, 10_000),
        limit: intParam(req, 'limit', DEFAULT_LIMIT, MAX_LIMIT),
      }),
    });
  });
  router.get('/suggest/property', (req, res) => {
    send(res, {
      result: reconciler.suggestProperties(prefixOf(req), {
        cursor: intParam(req, 'cursor', 0, 10_000),
        limit: intParam(req, 'limit', DEFAULT_LIMIT, MAX_LIMIT),
      }),
    });
  });
  router.get('/properties', async (req, res) => {
    const type = param(req, 'type');
    send(
      res,
      await reconciler.proposeProperties(
        type === undefined || type === '' ? undefined : expandIri(type, config.baseIri),
        intParam(req, 'limit', 10, 500) || 10,
      ),
    );
  });
  router.get('/preview', async (req, res) => {
    const id = param(req, 'id');
    if (id === undefined || id === '') throw new BadRequestHttpError('Give the entity as id.');
    const page = await reconciler.preview(id);
    if (page === undefined) throw new NotFoundHttpError(`Nothing is known about ${id}.`);
    // Made to be framed by OpenRefine (another origin): no X-Frame-Options, a CSP of its own.
    res.removeHeader('X-Frame-Options');
    res
      .status(200)
      .set(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors *; base-uri 'none'; form-action 'none'",
      )
      .set('Cache-Control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page);
  });
  router.get('/view', (req, res) => {
    const id = param(req, 'id') ?? '';
    const path = reconciler.viewPath(id);
    if (path === undefined) throw new NotFoundHttpError(`Not an entity of this service: ${id}`);
    res.redirect(303, path);
  });

  // Errors of this API as JSON (or JSONP), so clients get a reason they can show.
  const onError: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (!(error instanceof HttpError) || error.statusCode >= 500 || res.headersSent) {
      next(error);
      return;
    }
    res.status(error.statusCode).set(error.headers);
    if (req.path === '/preview' || req.path === '/view') {
      res.type('text/plain; charset=utf-8').send(`${error.message}\n`);
      return;
    }
    res.jsonp({ status: 'error', message: error.message });
  };
  router.use(onError);
  return router;
}
