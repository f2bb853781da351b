/**
 * The linked-data web: every IRI under the base dereferences here (HTML for people, RDF for
 * machines, by `Accept` or by extension), plus the home page, class pages, search and autocomplete.
 */
import express, { type Request, type Response, type Router } from 'express';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../config.js';
import Negotiator from 'negotiator';
import { BadRequestHttpError, NotAcceptableHttpError, NotFoundHttpError } from '../errors.js';
import type { SavedQuery } from '../reports/savedQueries.js';
import { inspectQuery } from '../sparql/inspect.js';
import { DUMPS, type DumpStore } from './dumps.js';
import type { ShortLinks } from './shortLinks.js';
import { sparqlExamples, voidDescription } from './wellKnown.js';
import type { Logger } from '../log.js';
import type { QueryEngine } from '../sparql/engine.js';
import { contentTypeHeader, GRAPH_TYPES, negotiate } from '../sparql/formats.js';
import { describeGraph, describeResource, graphTriples, selectRows } from './describe.js';
import { convertNTriples } from '../sparql/executor.js';
import { highlightsFor } from './highlights.js';
import { EXTENSION_OF, EXTENSIONS, resolveRequestPath } from './iris.js';
import type { LabelIndex } from './labels.js';
import { graphAsTrig, jsonLdContext, serializeDescription, standardPrefixes } from './rdfOut.js';
import {
  classPage,
  dumpsPage,
  rdfPage,
  graphPage,
  homePage,
  notFoundPage,
  queryUiPage,
  resourcePage,
  searchPage,
  type ViewContext,
} from './views.js';

export interface WebRouterDeps {
  readonly engine: QueryEngine;
  readonly config: Config;
  readonly labels: LabelIndex;
  readonly logger: Logger;
  /** The saved-query catalogue (examples). */
  readonly queries: readonly SavedQuery[];
  readonly shortLinks: ShortLinks;
  readonly dumps: DumpStore;
  readonly version: string;
  readonly graphCount: number;
}

/** True when the client explicitly prefers HTML (a browser), not merely accepts anything. */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return new Negotiator({ headers: { accept } }).mediaTypes()[0] === 'text/html';
}

function origin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** Representations of a resource, HTML first (what a browser or `*\/*` gets). */
export const RESOURCE_TYPES = Object.values(EXTENSIONS);

/** Path prefixes under the base that name resources. */
const RESOURCE_PATHS = /^\/(id\/|graph\/|ontology$|ontology\/)/u;

function classesWithCounts(labels: LabelIndex): Array<{ iri: string; count: number }> {
  return [...labels.classCounts.entries()]
    .map(([iri, count]) => ({ iri, count }))
    .sort((a, b) => b.count - a.count || a.iri.localeCompare(b.iri));
}

/**
 * Creates the router for pages and resources; mount it at `/`.
 * @param deps - engine, config, label index, logger
 */
export function createWebRouter(deps: WebRouterDeps): Router {
  const router = express.Router();
  const { config, labels, engine } = deps;
  const ctx: ViewContext = { baseIri: config.baseIri, labels };
  const html = (res: Response, status: number, body: string): void => {
    res.status(status).type('text/html; charset=utf-8').set('Cache-Control', 'no-cache').send(body);
  };

  router.use(
    '/assets',
    express.static(path.join(PROJECT_ROOT, 'src', 'web', 'assets'), { maxAge: '1h' }),
  );
  router.use(
    '/assets/yasgui',
    express.static(path.join(PROJECT_ROOT, 'node_modules', '@zazuko', 'yasgui', 'build'), {
      maxAge: '1d',
    }),
  );

  // The query UI, for browsers; machines fall through to the SPARQL Protocol router.
  router.get('/sparql', (req, res, next) => {
    if (!prefersHtml(req.get('accept'))) {
      next();
      return;
    }
    const query = typeof req.query.query === 'string' ? req.query.query : undefined;
    html(res, 200, queryUiPage(deps.queries, query));
  });
  router.get('/api/examples', (_req, res) => {
    res.json(
      deps.queries.map(({ id, title, description, query }) => ({ id, title, description, query })),
    );
  });
  router.get('/api/prefixes', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').json(standardPrefixes(config.baseIri));
  });
  router.get('/api/terms', (req, res) => {
    const kind = req.query.kind === 'property' ? 'property' : 'class';
    res
      .set('Cache-Control', 'public, max-age=300')
      .json(kind === 'property' ? labels.predicates : labels.classes());
  });
  router.post('/api/shorten', express.json({ limit: config.maxBodyBytes }), (req, res) => {
    const query = (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== 'string' || query.trim() === '')
      throw new BadRequestHttpError('Send {"query": "…"} as JSON.');
    const id = deps.shortLinks.add(query);
    res.status(201).json({ id, url: `${origin(req)}/q/${id}` });
  });
  router.get('/q/:id', (req, res) => {
    const query = deps.shortLinks.get(req.params.id);
    if (query === undefined)
      throw new NotFoundHttpError(`No saved query has the short link ${req.params.id}.`);
    res.redirect(303, `/sparql?query=${encodeURIComponent(query)}`);
  });
  const rdfDocument = (req: Request, res: Response, build: (mediaType: string) => string): void => {
    res.vary('Accept');
    // A browser gets the Turtle on a page; machines get the RDF syntax they ask for.
    if (prefersHtml(req.get('accept'))) {
      html(res, 200, rdfPage(req.path, build('text/turtle')));
      return;
    }
    const mediaType = negotiate(req.get('accept'), GRAPH_TYPES);
    if (mediaType === undefined)
      throw new NotAcceptableHttpError(`Available as ${GRAPH_TYPES.join(', ')}.`);
    res.type(contentTypeHeader(mediaType)).set('Cache-Control', 'no-cache').send(build(mediaType));
  };
  router.get('/.well-known/void', (req, res) => {
    rdfDocument(req, res, (mediaType) =>
      voidDescription(
        {
          baseIri: config.baseIri,
          origin: origin(req),
          labels,
          version: deps.version,
          graphCount: deps.graphCount,
        },
        mediaType,
      ),
    );
  });
  router.get('/.well-known/sparql-examples', (req, res) => {
    const forms = new Map(deps.queries.map((q) => [q.id, inspectQuery(q.query).form ?? 'SELECT']));
    rdfDocument(req, res, (mediaType) =>
      sparqlExamples(deps.queries, forms, config.baseIri, `${origin(req)}/sparql`, mediaType),
    );
  });
  router.get('/dumps/', (_req, res) => {
    html(res, 200, dumpsPage(DUMPS));
  });
  router.get('/dumps/:name', async (req, res) => {
    const found = await deps.dumps.get(req.params.name);
    if (found === undefined)
      throw new NotFoundHttpError(`No dump is called ${req.params.name}; see /dumps/.`);
    res
      .type(contentTypeHeader(found.dump.mediaType))
      .set('Content-Encoding', 'gzip')
      .set('Content-Disposition', `attachment; filename="${found.dump.name}"`)
      .set('Cache-Control', 'no-cache')
      .send(found.bytes);
  });

  router.get('/', (_req, res) => {
    html(res, 200, homePage(ctx, classesWithCounts(labels), labels.tripleCount));
  });
  router.get('/classes', (_req, res) => {
    html(res, 200, homePage(ctx, classesWithCounts(labels), labels.tripleCount));
  });
  router.get('/classes/:iri', (req, res) => {
    const iri = req.params.iri;
    const instances = labels.instancesOf(iri);
    if (instances.length === 0)
      throw new NotFoundHttpError(`No class <${iri}> with instances in the graph.`);
    html(res, 200, classPage(ctx, iri, instances));
  });
  router.get('/search', (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const results = labels.suggest(q, 50);
    // A single exact hit goes straight to its page.
    if (results.length === 1 && req.query.go !== undefined) {
      res.redirect(303, resolvePathOf(results[0]!.iri, config.baseIri));
      return;
    }
    html(res, 200, searchPage(ctx, q, results));
  });
  router.get('/api/autocomplete', (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const limit = Math.min(50, Math.max(1, Number(req.query.limit ?? 10) || 10));
    res
      .set('Cache-Control', 'no-cache')
      .json(
        labels.suggest(q, limit).map((s) => ({ ...s, href: resolvePathOf(s.iri, config.baseIri) })),
      );
  });
  router.get('/api/labels', (req, res) => {
    const iris = ([] as unknown[])
      .concat(req.query.iri ?? [])
      .filter((x): x is string => typeof x === 'string')
      .slice(0, 500);
    res.json(
      Object.fromEntries(
        iris.map((iri) => [
          iri,
          { label: labels.label(iri) ?? null, href: resolvePathOf(iri, config.baseIri) },
        ]),
      ),
    );
  });
  router.get('/context.jsonld', (_req, res) => {
    res
      .type('application/ld+json')
      .set('Cache-Control', 'public, max-age=3600')
      .send(JSON.stringify(jsonLdContext(config.baseIri), null, 2));
  });

  const dereference = async (req: Request, res: Response): Promise<void> => {
    const { iri, mediaType: fixed } = resolveRequestPath(req.path, config.baseIri);
    const format =
      typeof req.query.format === 'string'
        ? (EXTENSIONS[`.${req.query.format}`] ?? req.query.format)
        : undefined;
    const mediaType = fixed ?? format ?? negotiate(req.get('accept'), RESOURCE_TYPES);
    if (fixed === undefined) res.vary('Accept');
    if (mediaType === undefined || !RESOURCE_TYPES.includes(mediaType)) {
      throw new NotAcceptableHttpError(
        `This resource is available as ${RESOURCE_TYPES.join(', ')}.`,
      );
    }
    // A named graph (a data file, a source): its size, source and contents.
    const graph = iri.startsWith(`${config.baseIri}graph/`)
      ? await describeGraph(engine, iri)
      : undefined;
    const description = graph === undefined ? await describeResource(engine, iri) : undefined;
    const pagePath = req.path.slice(
      0,
      req.path.length - (fixed === undefined ? 0 : (EXTENSION_OF[fixed]?.length ?? 0)),
    );
    if (graph !== undefined) {
      if (fixed === undefined)
        res.set('Content-Location', `${pagePath}${EXTENSION_OF[mediaType] ?? ''}`);
      if (mediaType === 'text/html') {
        html(res, 200, graphPage(graph, pagePath, ctx));
        return;
      }
      const nt = await graphTriples(engine, iri);
      const body =
        mediaType === 'application/trig'
          ? await graphAsTrig(nt, iri, standardPrefixes(config.baseIri))
          : convertNTriples(nt, mediaType, standardPrefixes(config.baseIri));
      sendRdf(res, mediaType, body);
      return;
    }
    if (description === undefined) {
      if (mediaType === 'text/html') {
        html(res, 404, notFoundPage(`No resource is described at ${req.path}.`, iri));
        return;
      }
      throw new NotFoundHttpError(`The graph says nothing about <${iri}>.`);
    }
    if (fixed === undefined)
      res.set('Content-Location', `${pagePath}${EXTENSION_OF[mediaType] ?? ''}`);
    res.set('Link', `<${iri}>; rel="canonical"`);
    if (mediaType !== 'text/html') {
      const body = await serializeDescription(
        description,
        mediaType,
        config.baseIri,
        '/context.jsonld',
      );
      sendRdf(res, mediaType, body);
      return;
    }
    const highlights = await Promise.all(
      highlightsFor(iri, labels.types(iri), config.baseIri).map(async (highlight) => ({
        highlight,
        rows: await selectRows(engine, highlight.query),
      })),
    );
    html(res, 200, resourcePage({ description, highlights, path: pagePath }, ctx));
  };

  router.get(RESOURCE_PATHS, dereference);
  return router;
}

/** Sends an RDF representation, revalidated by ETag. */
function sendRdf(res: Response, mediaType: string, body: string): void {
  res.status(200).type(contentTypeHeader(mediaType)).set('Cache-Control', 'no-cache').send(body);
}

function resolvePathOf(iri: string, baseIri: string): string {
  return iri.startsWith(baseIri) ? `/${iri.slice(baseIri.length)}` : iri;
}
