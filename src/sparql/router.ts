/**
 * `/sparql`: the SPARQL 1.1 Protocol endpoint. Queries for everyone; SPARQL Update only with the
 * write token, and only when one is configured (otherwise updates are refused with 403).
 */
import express, { type Request, type Response, type Router } from 'express';
import { clientKey, type ClientLimits } from '../clientLimits.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { QueryEngine } from './engine.js';
import { contentTypeHeader, GRAPH_TYPES, negotiate } from './formats.js';
import {
  parseProtocolRequest,
  takeQuery,
  verifyUtf8Body,
  type ProtocolAction,
} from './protocol.js';
import { serviceDescription, type ServiceFacts } from './serviceDescription.js';
import { NotAcceptableHttpError, TooManyRequestsHttpError } from '../errors.js';
import type { UserGraphs, WriteResult } from '../graph/userGraphs.js';
import { authorizeWrite } from './auth.js';

export interface SparqlRouterDeps {
  readonly engine: QueryEngine;
  readonly config: Config;
  readonly logger: Logger;
  /** Per-client query-time budget: checked before a query runs, charged with its engine time. */
  readonly limits?: ClientLimits;
  /** Facts for the service description, minus the endpoint IRI (taken from the request). */
  readonly service: Omit<ServiceFacts, 'endpoint'>;
  /** The user graphs; writes are accepted when they are writable. */
  readonly writes?: UserGraphs;
}

/** The JSON body answering a write. */
export function writeSummary(result: WriteResult): Record<string, unknown> {
  return {
    status: 'ok',
    op: result.op,
    graphs: result.graphs,
    inserted: result.inserted,
    deleted: result.deleted,
    seq: result.seq ?? null,
    version: result.version,
  };
}

function endpointIri(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}${req.path === '/' ? '' : req.path}`;
}

/**
 * Creates the router for the SPARQL endpoint; mount it at `/sparql`.
 * @param deps - engine, config, logger, service facts
 */
export function createSparqlRouter(deps: SparqlRouterDeps): Router {
  const router = express.Router();
  const log = deps.logger.child({ module: 'sparql' });
  const bodyParser = express.text({
    type: [
      'application/sparql-query',
      'application/sparql-update',
      'application/x-www-form-urlencoded',
    ],
    limit: deps.config.maxBodyBytes,
    verify: verifyUtf8Body,
  });

  const handle = async (req: Request, res: Response): Promise<void> => {
    const q = req.originalUrl.indexOf('?');
    const known = takeQuery(req);
    const action: ProtocolAction =
      known !== undefined
        ? { kind: 'query', request: known }
        : parseProtocolRequest(
            {
              method: req.method,
              search: q === -1 ? '' : req.originalUrl.slice(q + 1),
              contentType: req.get('content-type'),
              accept: req.get('accept'),
              body: typeof req.body === 'string' ? req.body : undefined,
            },
            {
              serviceAllowlist: deps.config.serviceAllowlist,
              writes: deps.writes?.writable === true,
            },
          );
    res.vary('Accept');
    if (action.kind === 'update') {
      authorizeWrite(req.get('authorization'), deps.config.writeTokenSha256);
      const started = performance.now();
      const result = await deps.writes!.update(action.update);
      log.info(
        {
          op: result.op,
          graphs: result.graphs,
          inserted: result.inserted,
          deleted: result.deleted,
          seq: result.seq,
          ms: Math.round((performance.now() - started) * 100) / 100,
        },
        'write',
      );
      res.status(200).json(writeSummary(result));
      return;
    }
    if (action.kind === 'describe-service') {
      const mediaType = negotiate(req.get('accept'), GRAPH_TYPES);
      if (mediaType === undefined) {
        throw new NotAcceptableHttpError(
          `The service description is available as ${GRAPH_TYPES.join(', ')}.`,
        );
      }
      res.type(contentTypeHeader(mediaType));
      res.send(serviceDescription({ ...deps.service, endpoint: endpointIri(req) }, mediaType));
      return;
    }
    const client = clientKey(req.ip);
    const limits = deps.limits;
    const refusal = limits?.checkBudget(client);
    if (refusal !== undefined) {
      throw new TooManyRequestsHttpError(refusal.message, refusal.retryAfterSeconds, 'budget');
    }
    const started = performance.now();
    const response = await deps.engine.query(action.request, {
      timeoutMs: deps.config.queryTimeoutMs,
      client,
      ...(limits === undefined ? {} : { onCost: (ms: number) => limits.charge(client, ms) }),
    });
    const ms = performance.now() - started;
    log.debug(
      {
        form: action.request.form,
        mediaType: response.mediaType,
        rows: response.rows,
        ms: Math.round(ms * 100) / 100,
        query: action.request.query,
      },
      'query',
    );
    res.type(contentTypeHeader(response.mediaType));
    if (response.truncated) {
      res.set('X-Result-Truncated', `true; limit=${deps.config.maxResultRows}`);
    }
    if (req.method === 'HEAD') {
      res.send(undefined);
      return;
    }
    const bytes = response.bytes;
    if (bytes === undefined) {
      res.send(response.body);
      return;
    }
    // A worker's answer: its UTF-8 bytes and ETag, as Express would have made them from the text.
    if (response.etag !== undefined) res.set('ETag', response.etag);
    res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };

  router.all('/', bodyParser, handle);
  return router;
}
