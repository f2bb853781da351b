/**
 * Answers already in the result cache, served straight from Node's HTTP server: a `GET /sparql?query=`
 * whose answer is cached is written without passing through the framework's routing. Everything a
 * client can observe is the same as on the full path — status, body, content type, ETag and
 * `304 Not Modified`, the security and CORS headers (captured once from the very middleware the app
 * uses), `Vary`, the request log line — which a test checks header by header. Anything else (a miss,
 * a POST, an error, the service description) returns false and goes the usual way.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import etag from 'etag';
import fresh from 'fresh';
import type { CachingEngine } from './cachingEngine.js';
import type { QueryResponse } from './engine.js';
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
}

const etags = new WeakMap<QueryResponse, string>();

/**
 * Creates the handler; it returns true when it has answered the request.
 * @param deps - the cache, the allowlist, the headers to send and the request log
 */
export function createCachedAnswerHandler(
  deps: FastPathDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (!url.startsWith('/sparql?')) return false;
    // With the cache off there is nothing to find: not even worth reading the request.
    if (!deps.cache.enabled) return false;
    // Browsers get the query UI there (src/web/router.ts).
    if (prefersHtml(req.headers.accept)) return false;
    const started = performance.now();
    let response: QueryResponse | undefined;
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
      response = deps.cache.peek(action.request);
      // A miss goes the full way, which takes this reading rather than making it again.
      if (response === undefined) rememberQuery(req, action.request);
    } catch {
      return false; // the full path writes the error
    }
    if (response === undefined) return false;
    const done = deps.metrics?.startRequest('/sparql', req.method);
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
    if (response.truncated)
      res.setHeader('X-Result-Truncated', `true; limit=${deps.maxResultRows}`);
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
    done?.(res.statusCode);
    deps.log({
      method: req.method,
      url,
      status: res.statusCode,
      ms: Math.round((performance.now() - started) * 100) / 100,
    });
    return true;
  };
}
