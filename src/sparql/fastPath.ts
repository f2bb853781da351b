/**
 * Queries served straight from Node's HTTP server: a `GET /sparql?query=` from a machine (not a
 * browser) is answered without passing through the framework's middleware and routing — from the
 * result cache when its answer is there, otherwise (when `direct` is given) by the engine, under the
 * same per-client limits, deadline and budget as on the full path. Everything a client can observe
 * is the same as on the full path — status, body, content type, ETag and `304 Not Modified`, the
 * security and CORS headers (captured once from the very middleware the app uses), `Vary`, error
 * bodies and `Retry-After`, the request log line and the metrics — which tests check header by
 * header. Anything else (a HEAD that is not cached, a POST, a request through a proxy, a request
 * the limits refuse or the protocol rejects, the service description) returns false and goes the
 * usual way, which gives the same refusals and errors it always did.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import etag from 'etag';
import fresh from 'fresh';
import { clientKey, type ClientLimits } from '../clientLimits.js';
import { isHttpError } from '../errors.js';
import type { CachingEngine } from './cachingEngine.js';
import type { QueryRequest, QueryResponse } from './engine.js';
import { contentTypeHeader, prefersHtml } from './formats.js';
import { assertPercentEncoded, parseProtocolRequest, rememberQuery } from './protocol.js';

/** A Connect-style middleware, as helmet and cors are. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * The headers a chain of middleware sets on a plain GET, captured by running it once on a real
 * (unsent) response object.
 * @param middleware - e.g. helmet and cors, as the app mounts them
 */
export function captureHeaders(middleware: readonly Middleware[]): Array<[string, string]> {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/sparql';
  req.headers = {};
  const res = new ServerResponse(req);
  for (const m of middleware) m(req, res, () => undefined);
  return Object.entries(res.getHeaders()).map(([k, v]) => [
    k,
    Array.isArray(v) ? v.join(', ') : String(v),
  ]);
}

export interface FastPathDeps {
  readonly cache: CachingEngine;
  readonly serviceAllowlist: readonly string[];
  readonly maxResultRows: number;
  /** Headers every response carries (security, CORS). */
  readonly headers: ReadonlyArray<[string, string]>;
  /** Request metrics, counted as the app counts them. */
  readonly metrics?: { startRequest(path: string, method: string): (status: number) => void };
  /** The request logger, called as the app's request log is. */
  readonly log: (entry: { method: string; url: string; status: number; ms: number }) => void;
  /** Given, queries whose answer is not cached are run here too. */
  readonly direct?: DirectQueryDeps;
}

/** What answering a query (not only a cached answer) takes, as the full path has it. */
export interface DirectQueryDeps {
  readonly queryTimeoutMs: number;
  /** Per-client limits (concurrency, query-time budget), when the app applies them. */
  readonly limits?: ClientLimits;
  /** Logs each query, as the endpoint's router does (debug). */
  readonly logQuery: (entry: Record<string, unknown>) => void;
  /** Logs a failure that became a 500-range answer, as the app's error handler does. */
  readonly logFailure: (error: unknown, url: string) => void;
}

const etags = new WeakMap<QueryResponse, string>();
/** Per cached answer: its ETag and the whole header block of its 200 answer. */
const heads = new WeakMap<QueryResponse, { tag: string; headers: string[]; body: Buffer }>();
/** How many readings of (Accept, URL) pairs a handler remembers: clients repeat the same few. */
const READINGS = 512;

/**
 * Creates the handler; it returns true when it has taken the request (and answers it, at once or
 * once the engine has).
 * @param deps - the cache, the allowlist, the headers to send, the request log; `direct` to run
 *   queries whose answer is not cached
 */
export function createCachedAnswerHandler(
  deps: FastPathDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const direct = deps.direct;
  // The reading of a request (its query, form and media type) depends on its Accept and URL only,
  // so a client that repeats a request is not read again. null: not one for this path (a browser).
  const readings = new Map<string, QueryRequest | null>();
  const remember = (key: string, reading: QueryRequest | null): void => {
    if (readings.size >= READINGS) readings.clear();
    readings.set(key, reading);
  };
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (!url.startsWith('/sparql?')) return false;
    // With the cache off and no direct answering there is nothing to do: not worth reading it.
    if (!deps.cache.enabled && direct === undefined) return false;
    const started = performance.now();
    const key = `${req.method}\n${req.headers.accept ?? ''}\n${url}`;
    let request = readings.get(key);
    if (request === null) return false;
    if (request === undefined) {
      // Browsers get the query UI there (src/web/router.ts).
      if (prefersHtml(req.headers.accept)) {
        remember(key, null);
        return false;
      }
      try {
        assertPercentEncoded(url, 'The URL');
        const action = parseProtocolRequest(
          {
            method: req.method,
            search: url.slice(8),
            accept: req.headers.accept,
            contentType: undefined,
            body: undefined,
          },
          { serviceAllowlist: deps.serviceAllowlist },
        );
        if (action.kind !== 'query') return false;
        request = action.request;
      } catch {
        return false; // the full path writes the error
      }
      remember(key, request);
    }
    const response = deps.cache.peek(request);
    if (response !== undefined) {
      const done = deps.metrics?.startRequest('/sparql', req.method);
      writeAnswer(req, res, response, deps);
      done?.(res.statusCode);
      logRequest(req, res, url, started, deps);
      return true;
    }
    // The client is the socket's address unless a proxy forwarded the request (the full path
    // works that out); HEAD keeps the full path's answer (no body, no ETag).
    if (
      direct === undefined ||
      req.method !== 'GET' ||
      req.headers['x-forwarded-for'] !== undefined
    ) {
      rememberQuery(req, request);
      return false;
    }
    const client = clientKey(req.socket.remoteAddress);
    const limits = direct.limits;
    // A refusal goes the full way, which refuses it (and counts it) as it always did.
    const admitted = limits?.acquire(client);
    if (admitted !== undefined && 'reason' in admitted) return false;
    if (limits?.checkBudget(client) !== undefined) {
      admitted?.release();
      return false;
    }
    const done = deps.metrics?.startRequest('/sparql', req.method);
    const queried = performance.now();
    res.on('close', () => {
      admitted?.release();
      done?.(res.statusCode);
    });
    res.on('finish', () => logRequest(req, res, url, started, deps));
    deps.cache
      .query(request, {
        timeoutMs: direct.queryTimeoutMs,
        client,
        ...(limits === undefined ? {} : { onCost: (ms: number) => limits.charge(client, ms) }),
      })
      .then(
        (answer) => {
          direct.logQuery({
            form: request.form,
            mediaType: answer.mediaType,
            rows: answer.rows,
            ms: Math.round((performance.now() - queried) * 100) / 100,
            query: request.query,
          });
          writeAnswer(req, res, answer, deps);
        },
        (error: unknown) => writeError(res, error, url, deps),
      )
      .catch((error: unknown) => {
        direct.logFailure(error, url);
        res.destroy();
      });
    return true;
  };
}

/** One request log line, as the app writes it. */
function logRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
  started: number,
  deps: FastPathDeps,
): void {
  deps.log({
    method: req.method ?? 'GET',
    url,
    status: res.statusCode,
    ms: Math.round((performance.now() - started) * 100) / 100,
  });
}

/** Writes an answer as the endpoint's router and Express's `res.send` would. */
function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  response: QueryResponse,
  deps: FastPathDeps,
): void {
  // A GET without a condition gets the 200 answer, whose header block is made once per answer.
  if (
    req.method === 'GET' &&
    req.headers['if-none-match'] === undefined &&
    req.headers['if-modified-since'] === undefined
  ) {
    let head = heads.get(response);
    if (head === undefined) {
      const tag = response.etag ?? etag(response.body, { weak: true });
      const body =
        response.bytes === undefined
          ? Buffer.from(response.body)
          : Buffer.from(
              response.bytes.buffer,
              response.bytes.byteOffset,
              response.bytes.byteLength,
            );
      const headers = [
        ...deps.headers.flat(),
        'Vary',
        'Accept',
        'Content-Type',
        contentTypeHeader(response.mediaType),
        ...(response.truncated ? ['X-Result-Truncated', `true; limit=${deps.maxResultRows}`] : []),
        'ETag',
        tag,
        'Content-Length',
        String(body.byteLength),
      ];
      head = { tag, headers, body };
      heads.set(response, head);
    }
    res.writeHead(200, head.headers);
    res.end(head.body);
    return;
  }
  let tag = response.etag ?? etags.get(response);
  if (tag === undefined) {
    tag = etag(response.body, { weak: true });
    etags.set(response, tag);
  }
  const body =
    response.bytes === undefined
      ? Buffer.from(response.body)
      : Buffer.from(response.bytes.buffer, response.bytes.byteOffset, response.bytes.byteLength);
  for (const [k, v] of deps.headers) res.setHeader(k, v);
  res.setHeader('Vary', 'Accept');
  res.setHeader('Content-Type', contentTypeHeader(response.mediaType));
  if (response.truncated) res.setHeader('X-Result-Truncated', `true; limit=${deps.maxResultRows}`);
  res.setHeader('ETag', tag);
  if (fresh(req.headers, { etag: tag })) {
    res.statusCode = 304;
    res.removeHeader('Content-Type');
    res.end();
  } else {
    res.statusCode = 200;
    res.setHeader('Content-Length', body.byteLength);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** Writes a failed query's answer as the app's error handler does for the endpoint (plain text). */
function writeError(
  res: ServerResponse,
  error: unknown,
  url: string,
  deps: FastPathDeps & { direct?: DirectQueryDeps },
): void {
  const status = isHttpError(error) ? error.statusCode : 500;
  const message =
    status < 500 || isHttpError(error) ? (error as Error).message : 'Internal Server Error';
  if (status >= 500) deps.direct?.logFailure(error, url);
  if (res.headersSent) return;
  const body = Buffer.from(`${message}\n`);
  for (const [k, v] of deps.headers) res.setHeader(k, v);
  res.setHeader('Vary', 'Accept');
  if (isHttpError(error)) for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', body.byteLength);
  res.setHeader('ETag', etag(body, { weak: true }));
  res.statusCode = status;
  res.end(body);
}
