/**
 * The linker on the server: `POST /api/link` (text, HTML, PDF or JSON in; JSON, Web Annotation RDF
 * or HTML out) and `/link`, a page where a person pastes text and sees it linked.
 */
import express, { type Request, type Response, type Router } from 'express';
import { Writer } from 'n3';
import type { Config } from '../config.js';
import { clientKey, type ClientLimits } from '../clientLimits.js';
import {
  BadRequestHttpError,
  NotAcceptableHttpError,
  TooManyRequestsHttpError,
  UnsupportedMediaTypeHttpError,
} from '../errors.js';
import { convertNTriples } from '../sparql/executor.js';
import { contentTypeHeader, negotiate } from '../sparql/formats.js';
import { assertPercentEncoded, assertUtf8, verifyUtf8Body } from '../sparql/protocol.js';
import { html, layout } from '../web/html.js';
import { hrefFor } from '../web/iris.js';
import {
  annotationQuads,
  annotationsTurtle,
  documentIri,
  highlightHtml,
  textHash,
} from './annotations.js';
import type { Gazetteer } from './gazetteer.js';
import { runLinkJob, type LinkJob, type LinkOutcome, type LinkRunner } from './job.js';
import type { Mention } from './linkText.js';

export interface LinkerRouterDeps {
  readonly config: Config;
  readonly gazetteer: Gazetteer;
  /** Where linking runs (default: in this thread; the server runs it in the query workers). */
  readonly link?: LinkRunner;
  /** Per-client time budget: checked before a job, charged with its time. */
  readonly limits?: ClientLimits;
}

const OFFERS = [
  'application/json',
  'text/turtle',
  'application/ld+json',
  'application/n-triples',
  'text/html',
];

function yearParam(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const y = Number(value);
  if (!Number.isInteger(y) || y < 1900 || y > 2100)
    throw new BadRequestHttpError('year must be a four-digit year.');
  return y;
}

/** The JSON answer: the document and its mentions. */
export function linkResult(
  text: string,
  mentions: readonly Mention[],
  baseIri: string,
  meta: { url?: string; title?: string },
) {
  return {
    document: {
      iri: documentIri(text, baseIri),
      sha256: textHash(text),
      length: text.length,
      ...meta,
    },
    mentions,
  };
}

function linkPage(
  text: string,
  mentions: readonly Mention[] | undefined,
  baseIri: string,
  year: string,
): string {
  const counts = new Map<string, number>();
  for (const m of mentions ?? []) counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
  return layout({
    title: 'Link a text',
    body: html`<h1>Link a text to the graph</h1>
<p>Paste a statement, a report or an article: every norm, state, document, process, sector, incident, initiative,
organisation and threat actor it mentions is linked to its page. Programs: <code>POST /api/link</code>.</p>
<form method="post" action="/link">
<label for="link-text">Text</label><br>
<textarea id="link-text" name="text" rows="10" cols="100" required>${text}</textarea><br>
<label for="link-year">Year written (optional, helps with “the GGE”)</label>
<input id="link-year" name="year" type="number" min="1990" max="2100" value="${year}">
<button type="submit">Link</button>
</form>
${
  mentions === undefined
    ? ''
    : html`<section class="linked"><h2>${mentions.length} mentions</h2>
<p>${[...counts.entries()].map(([k, n]) => html`<span class="type">${k}: ${n}</span> `)}</p>
${highlightHtml(text, mentions, baseIri)}
<table><thead><tr><th scope="col">Text</th><th scope="col">Entity</th><th scope="col">Kind</th><th scope="col">Offsets</th><th scope="col">Confidence</th><th scope="col">Rule</th></tr></thead>
<tbody>${mentions.map(
        (m) =>
          html`<tr><td>${m.text}</td><td><a href="${hrefFor(m.iri, baseIri)}">${m.label}</a></td><td>${m.kind}</td><td>${m.start}–${m.end}</td><td class="num">${m.confidence.toFixed(2)}</td><td><code>${m.rule}</code></td></tr>`,
      )}</tbody></table></section>`
}`,
  });
}

/**
 * Creates the linker's router; mount it at `/`.
 * @param deps - config and gazetteer
 */
export function createLinkerRouter(deps: LinkerRouterDeps): Router {
  const router = express.Router();
  const { config, gazetteer } = deps;
  const limit = config.maxBodyBytes;
  const runner: LinkRunner = deps.link ?? ((job) => runLinkJob(job, gazetteer));
  /** Runs a job for the request's client, within its budget. */
  const run = (req: Request, job: LinkJob): Promise<LinkOutcome> => {
    const client = clientKey(req.ip);
    const limits = deps.limits;
    const refusal = limits?.checkBudget(client);
    if (refusal !== undefined) {
      throw new TooManyRequestsHttpError(refusal.message, refusal.retryAfterSeconds, 'budget');
    }
    return runner(job, {
      client,
      ...(limits === undefined ? {} : { onCost: (ms: number) => limits.charge(client, ms) }),
    });
  };

  router.post(
    '/api/link',
    express.raw({ type: () => true, limit }),
    async (req: Request, res: Response) => {
      const type = (req.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      res.vary('Accept');
      const mediaType =
        typeof req.query.format === 'string'
          ? req.query.format
          : negotiate(req.get('accept'), OFFERS);
      if (mediaType === undefined || !OFFERS.includes(mediaType))
        throw new NotAcceptableHttpError(`Available as ${OFFERS.join(', ')}.`);
      let job: LinkJob;
      let meta: { url?: string; title?: string } = {};
      let year = yearParam(req.query.year);
      // Text must arrive as the UTF-8 it claims to be (a PDF is bytes, and HTML declares its own).
      const charset = /;\s*charset\s*=\s*"?([\w-]+)/iu.exec(req.get('content-type') ?? '')?.[1];
      if (
        (type === 'application/json' || type === 'text/plain') &&
        (charset === undefined || /^utf-?8$/iu.test(charset))
      )
        assertUtf8(body, 'The request body');
      if (type === 'application/json') {
        let parsed: { text?: unknown; url?: unknown; title?: unknown; year?: unknown };
        try {
          parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
        } catch (error) {
          throw new BadRequestHttpError(
            `The JSON body does not parse: ${(error as Error).message}`,
          );
        }
        if (typeof parsed.text !== 'string')
          throw new BadRequestHttpError(
            'Send {"text": "…"} (and optionally "url", "title", "year").',
          );
        job = { text: parsed.text };
        meta = {
          ...(typeof parsed.url === 'string' ? { url: parsed.url } : {}),
          ...(typeof parsed.title === 'string' ? { title: parsed.title } : {}),
        };
        year = yearParam(parsed.year) ?? year;
      } else if (
        type === 'text/plain' ||
        type === 'text/html' ||
        type === 'application/pdf' ||
        type === 'application/xhtml+xml'
      ) {
        job = { bytes: body, mediaType: type };
      } else {
        throw new UnsupportedMediaTypeHttpError(
          `Send text/plain, text/html, application/pdf or application/json; got "${type}".`,
        );
      }
      const outcome = await run(req, year === undefined ? job : { ...job, documentYear: year });
      const { text, mentions } = outcome;
      if (outcome.title !== undefined) meta = { title: outcome.title };
      if (mediaType === 'application/json') {
        res.json(linkResult(text, mentions, config.baseIri, meta));
        return;
      }
      if (mediaType === 'text/html') {
        res
          .type('text/html; charset=utf-8')
          .send(linkPage(text, mentions, config.baseIri, year === undefined ? '' : String(year)));
        return;
      }
      const quads = annotationQuads({ text, ...meta }, mentions, config.baseIri);
      const out =
        mediaType === 'text/turtle'
          ? await annotationsTurtle(quads, config.baseIri)
          : convertNTriples(new Writer({ format: 'N-Triples' }).quadsToString(quads), mediaType);
      res.type(contentTypeHeader(mediaType)).send(out);
    },
  );

  router.get('/link', (_req, res) => {
    res.type('text/html; charset=utf-8').send(linkPage('', undefined, config.baseIri, ''));
  });
  const form = express.urlencoded({
    extended: false,
    limit,
    verify: (req, res, bytes, encoding) => {
      verifyUtf8Body(req, res, bytes, encoding);
      assertPercentEncoded(bytes.toString('utf8'), 'The form body', false);
    },
  });
  router.post('/link', form, async (req, res) => {
    // No body, or a body of another type, leaves nothing parsed.
    const form = (req.body ?? {}) as { text?: unknown; year?: unknown };
    const text = typeof form.text === 'string' ? form.text : '';
    const year = yearParam(form.year);
    const { mentions } = await run(
      req,
      year === undefined ? { text } : { text, documentYear: year },
    );
    res
      .type('text/html; charset=utf-8')
      .send(linkPage(text, mentions, config.baseIri, year === undefined ? '' : String(year)));
  });
  return router;
}
