/**
 * `/sparql/graph`: the SPARQL 1.1 Graph Store HTTP Protocol, indirect identification
 * (`?graph=<IRI>` or `?default`). GET and HEAD read any graph, for everyone; PUT, POST and DELETE
 * write user graphs, with the write token.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Config } from '../config.js';
import {
  BadRequestHttpError,
  ForbiddenHttpError,
  MethodNotAllowedHttpError,
  NotAcceptableHttpError,
  NotFoundHttpError,
  UnsupportedMediaTypeHttpError,
} from '../errors.js';
import {
  GRAPH_BODY_TYPES,
  parseGraphBody,
  userGraphNamespace,
  type UserGraphs,
  type WriteResult,
} from '../graph/userGraphs.js';
import type { Logger } from '../log.js';
import { standardPrefixes } from '../web/rdfOut.js';
import { authorizeWrite } from './auth.js';
import type { QueryEngine } from './engine.js';
import { contentTypeHeader, GRAPH_TYPES, negotiate } from './formats.js';
import { writeSummary } from './router.js';

export interface GraphStoreRouterDeps {
  readonly engine: QueryEngine;
  readonly config: Config;
  readonly logger: Logger;
  readonly writes?: UserGraphs;
}

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];

// An IRI that can be written between < and > in a query: no spaces, controls or delimiters.
// eslint-disable-next-line no-control-regex -- IRIREF excludes control characters by definition
const IRI_CHARS = /^[^<>"{}|^`\\\u0000-\u0020]+$/u;

/** Which graph a request names: `?graph=<IRI>`, `?default`, or neither. */
type Target = { kind: 'graph'; iri: string } | { kind: 'default' } | { kind: 'none' };

function targetOf(req: Request): Target {
  const q = req.originalUrl.indexOf('?');
  const params = new URLSearchParams(q === -1 ? '' : req.originalUrl.slice(q + 1));
  const graphs = params.getAll('graph');
  const isDefault = params.has('default');
  if (graphs.length > 1 || (graphs.length === 1 && isDefault)) {
    throw new BadRequestHttpError('Name one graph: either ?graph=<IRI> or ?default.');
  }
  if (isDefault) return { kind: 'default' };
  if (graphs.length === 0) return { kind: 'none' };
  const iri = graphs[0]!;
  let absolute = false;
  try {
    absolute = new URL(iri).href !== '';
  } catch {
    absolute = false;
  }
  if (!absolute || !IRI_CHARS.test(iri)) {
    throw new BadRequestHttpError(`?graph= must be an absolute IRI; got "${iri}".`);
  }
  return { kind: 'graph', iri };
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Creates the Graph Store router; mount it at `/sparql/graph`.
 * @param deps - engine (for reads), config, logger, user graphs (for writes)
 */
export function createGraphStoreRouter(deps: GraphStoreRouterDeps): Router {
  const router = express.Router();
  const log = deps.logger.child({ module: 'graph-store' });
  const namespace = userGraphNamespace(deps.config.baseIri);
  const bodyParser = express.text({
    type: [...GRAPH_BODY_TYPES],
    limit: deps.config.maxBodyBytes,
  });

  const read = async (req: Request, res: Response, target: Target): Promise<void> => {
    if (target.kind === 'none') {
      throw new BadRequestHttpError(
        'Name the graph to read: ?graph=<IRI>, or ?default for the union.',
      );
    }
    const mediaType = negotiate(req.get('accept'), GRAPH_TYPES);
    if (mediaType === undefined) {
      throw new NotAcceptableHttpError(`Graphs are available as ${GRAPH_TYPES.join(', ')}.`);
    }
    const query =
      target.kind === 'default'
        ? 'CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }'
        : `CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <${target.iri}> { ?s ?p ?o } }`;
    const response = await deps.engine.query(
      { query, form: 'CONSTRUCT', mediaType, prefixes: standardPrefixes(deps.config.baseIri) },
      { timeoutMs: deps.config.queryTimeoutMs },
    );
    // Here a graph exists while it holds triples.
    if (response.rows === 0) {
      throw new NotFoundHttpError(
        target.kind === 'default'
          ? 'The default graph is empty.'
          : `There is no graph <${target.iri}>.`,
      );
    }
    res.vary('Accept').type(contentTypeHeader(response.mediaType));
    if (response.truncated)
      res.set('X-Result-Truncated', `true; limit=${deps.config.maxResultRows}`);
    res.send(req.method === 'HEAD' ? undefined : response.body);
  };

  const respond = (res: Response, result: WriteResult, graph: string, created: boolean): void => {
    log.info(
      { op: result.op, graph, inserted: result.inserted, deleted: result.deleted, seq: result.seq },
      'write',
    );
    if (created) {
      res.status(201).location(`/sparql/graph?graph=${encodeURIComponent(graph)}`);
    } else res.status(200);
    res.json({ ...writeSummary(result), graph });
  };

  const write = async (req: Request, res: Response, target: Target): Promise<void> => {
    authorizeWrite(req.get('authorization'), deps.config.writeTokenSha256);
    const writes = deps.writes!;
    if (target.kind === 'default') {
      throw new ForbiddenHttpError(
        'The default graph is the union of all graphs and cannot be written: name a user graph ' +
          `with ?graph=<${namespace}…>.`,
      );
    }
    if (target.kind === 'none' && req.method !== 'POST') {
      throw new BadRequestHttpError(`Name the graph: ?graph=<${namespace}…>.`);
    }
    // POST with no graph named creates one, with a name the server mints.
    const graph = target.kind === 'graph' ? target.iri : `${namespace}${randomUUID()}`;
    const refusal = writes.refusal(graph);
    if (refusal !== undefined) throw new ForbiddenHttpError(refusal);
    if (req.method === 'DELETE') {
      const result = await writes.dropGraph(graph);
      log.info({ op: result.op, graph, deleted: result.deleted, seq: result.seq }, 'write');
      res.status(204).end();
      return;
    }
    const type = mediaTypeOf(req.get('content-type'));
    if (!(GRAPH_BODY_TYPES as readonly string[]).includes(type) || typeof req.body !== 'string') {
      throw new UnsupportedMediaTypeHttpError(
        `Send the graph as one of ${GRAPH_BODY_TYPES.join(', ')}; got "${type || 'no Content-Type'}".`,
      );
    }
    const quads = parseGraphBody(req.body, type, graph);
    const result =
      req.method === 'PUT'
        ? await writes.replaceGraph(graph, quads)
        : await writes.addToGraph(graph, quads);
    respond(res, result, graph, result.created && result.inserted > 0);
  };

  router.all('/', bodyParser, async (req, res) => {
    if (!METHODS.includes(req.method)) throw new MethodNotAllowedHttpError(METHODS);
    const target = targetOf(req);
    if (req.method === 'GET' || req.method === 'HEAD') await read(req, res, target);
    else await write(req, res, target);
  });
  return router;
}
