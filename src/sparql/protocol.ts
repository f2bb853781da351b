/**
 * The SPARQL 1.1 Protocol, as a pure function: an HTTP request's method, parameters, headers and body
 * in; a query ready for an engine (or the error the spec prescribes) out.
 */
import {
  BadRequestHttpError,
  ForbiddenHttpError,
  MethodNotAllowedHttpError,
  NotAcceptableHttpError,
  UnsupportedMediaTypeHttpError,
} from '../errors.js';
import { isUtf8 } from 'node:buffer';
import type { QueryRequest } from './engine.js';
import { formatToMediaType, negotiate, typesForForm } from './formats.js';
import { inspectTokens, shapeProblem } from './inspect.js';
import { isAllowed } from './executor.js';
import { tokenize, type Token } from './lexer.js';

/** The parts of an HTTP request the protocol reads. */
export interface ProtocolInput {
  readonly method: string;
  /** The raw query string (after `?`), undecoded. */
  readonly search: string;
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  /** The request body as text, for POST. */
  readonly body: string | undefined;
}

/** What the endpoint should do. */
export type ProtocolAction =
  | { readonly kind: 'describe-service' }
  | { readonly kind: 'query'; readonly request: QueryRequest }
  | { readonly kind: 'update'; readonly update: string };

export interface ProtocolOptions {
  readonly serviceAllowlist: readonly string[];
  /** True when the server accepts SPARQL Update (a write token is configured). */
  readonly writes?: boolean;
}

const UPDATE_REFUSED =
  'SPARQL Update is not accepted: this public endpoint is read-only. ' +
  'The curated graph changes through the files in ontology/ and data/.';

const UPDATE_BY_POST =
  'Send SPARQL Update with POST, as application/sparql-update or as a form field "update".';

/** The update of a POST, or the refusal when writes are off. */
function updateAction(
  update: string | undefined,
  params: URLSearchParams,
  form: URLSearchParams | undefined,
  options: ProtocolOptions,
): ProtocolAction {
  if (options.writes !== true) throw new ForbiddenHttpError(UPDATE_REFUSED);
  for (const name of ['using-graph-uri', 'using-named-graph-uri']) {
    if (params.has(name) || form?.has(name) === true) {
      throw new BadRequestHttpError(
        `${name} is not supported: state the dataset in the update (USING, USING NAMED or WITH).`,
      );
    }
  }
  if (update === undefined || update.trim() === '') {
    throw new BadRequestHttpError('Missing update: send the SPARQL Update as the body.');
  }
  return { kind: 'update', update };
}

/**
 * Refuses text whose percent-escapes are malformed (`%G1`, a lone `%`) or decode to bytes that are
 * not UTF-8. Lenient decoding would silently turn them into U+FFFD and run something other than
 * what was sent. A URL must also escape every character outside printable ASCII.
 * @param text - a URL, query string or form body
 * @param what - names the part in the message ("The URL")
 * @param asciiOnly - also refuse raw characters outside printable ASCII (URLs)
 * @throws BadRequestHttpError saying what is wrong
 */
export function assertPercentEncoded(text: string, what: string, asciiOnly = true): void {
  if (asciiOnly && /[^\u0021-\u007e]/u.test(text)) {
    throw new BadRequestHttpError(
      `${what} contains characters that must be percent-encoded (non-ASCII or control characters).`,
    );
  }
  try {
    decodeURIComponent(text.replace(/\+/gu, ' '));
  } catch {
    throw new BadRequestHttpError(
      `${what} is not valid percent-encoded UTF-8: a % must be followed by two hex digits, and the ` +
        'escaped bytes must be UTF-8.',
    );
  }
}

/**
 * Refuses a body that is not well-formed UTF-8.
 * @param bytes - the body
 * @param what - names the body in the message
 * @throws BadRequestHttpError
 */
export function assertUtf8(bytes: Uint8Array, what: string): void {
  if (!isUtf8(bytes)) {
    throw new BadRequestHttpError(
      `${what} is not valid UTF-8: send UTF-8 text (or declare another charset in Content-Type).`,
    );
  }
}

/**
 * A body parser's `verify` hook: refuses a body declared (or defaulted) as UTF-8 that is not.
 * @param _req - the request (unused)
 * @param _res - the response (unused)
 * @param bytes - the raw body
 * @param encoding - the charset the parser will decode with
 */
export function verifyUtf8Body(
  _req: unknown,
  _res: unknown,
  bytes: Buffer,
  encoding: string | null | undefined,
): void {
  const charset = (encoding ?? 'utf-8').toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') assertUtf8(bytes, 'The request body');
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Prefix declarations of a query, for writing Turtle output with the same prefixes. */
export function declaredPrefixes(query: string): Record<string, string> {
  return prefixesIn(tokenize(query));
}

/** `declaredPrefixes` over a query already split into tokens. */
function prefixesIn(tokens: readonly Token[]): Record<string, string> {
  const prefixes: Record<string, string> = {};
  for (let i = 0; i + 2 < tokens.length; i++) {
    if (tokens[i]!.text.toUpperCase() === 'PREFIX' && tokens[i + 2]!.type === 'iri') {
      const iri = tokens[i + 2]!.text.slice(1, -1);
      if (/^[a-z][a-z0-9+.-]*:/iu.test(iri)) prefixes[tokens[i + 1]!.text.replace(/:$/u, '')] = iri;
    }
  }
  return prefixes;
}

/** Queries the fast path already read from a GET request, for the full path to take. */
const readQueries = new WeakMap<object, QueryRequest>();

/**
 * Keeps what a GET request was read as (its query), for `takeQuery`.
 * @param req - the request (the same object the full path gets)
 * @param request - the query read from it
 */
export function rememberQuery(req: object, request: QueryRequest): void {
  readQueries.set(req, request);
}

/**
 * The query `rememberQuery` kept for this request, once.
 * @param req - the request
 */
export function takeQuery(req: object): QueryRequest | undefined {
  const request = readQueries.get(req);
  if (request !== undefined) readQueries.delete(req);
  return request;
}

/**
 * Reads a SPARQL Protocol request.
 * @param input - method, query string, headers and body
 * @param options - the SERVICE allowlist
 * @throws HttpError with the status the protocol prescribes (400, 403, 405, 406, 415)
 */
export function parseProtocolRequest(
  input: ProtocolInput,
  options: ProtocolOptions,
): ProtocolAction {
  const method = input.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
    throw new MethodNotAllowedHttpError(['GET', 'POST']);
  }
  assertPercentEncoded(input.search, 'The query string');
  const params = new URLSearchParams(input.search);
  let query: string | undefined;
  let defaultGraphs = params.getAll('default-graph-uri');
  let namedGraphs = params.getAll('named-graph-uri');
  if (method === 'POST') {
    const type = mediaTypeOf(input.contentType);
    if (type === 'application/x-www-form-urlencoded') {
      assertPercentEncoded(input.body ?? '', 'The form body', false);
      const form = new URLSearchParams(input.body ?? '');
      if (form.has('update')) {
        const updates = form.getAll('update');
        if (updates.length > 1 || form.has('query'))
          throw new BadRequestHttpError('Send one update parameter, and no query with it.');
        return updateAction(updates[0], params, form, options);
      }
      const queries = form.getAll('query');
      if (queries.length > 1)
        throw new BadRequestHttpError('Send one query parameter, not several.');
      query = queries[0];
      defaultGraphs = [...defaultGraphs, ...form.getAll('default-graph-uri')];
      namedGraphs = [...namedGraphs, ...form.getAll('named-graph-uri')];
    } else if (type === 'application/sparql-query') {
      query = input.body ?? '';
    } else if (type === 'application/sparql-update') {
      return updateAction(input.body, params, undefined, options);
    } else {
      throw new UnsupportedMediaTypeHttpError(
        `POST bodies must be application/sparql-query, application/sparql-update or application/x-www-form-urlencoded; got "${type || 'none'}".`,
      );
    }
    if (params.has('query') && query !== undefined) {
      throw new BadRequestHttpError('Give the query either in the URL or in the body, not both.');
    }
  } else {
    if (params.has('update'))
      throw options.writes === true
        ? new BadRequestHttpError(UPDATE_BY_POST)
        : new ForbiddenHttpError(UPDATE_REFUSED);
    const queries = params.getAll('query');
    if (queries.length > 1) throw new BadRequestHttpError('Send one query parameter, not several.');
    query = queries[0];
    if (query === undefined) return { kind: 'describe-service' };
  }
  if (query === undefined || query.trim() === '') {
    throw new BadRequestHttpError(
      'Missing query: pass the SPARQL query as the "query" parameter or as the body.',
    );
  }
  for (const iri of [...defaultGraphs, ...namedGraphs]) {
    try {
      new URL(iri);
    } catch {
      throw new BadRequestHttpError(
        `default-graph-uri / named-graph-uri must be absolute IRIs; got "${iri}".`,
      );
    }
  }
  // One tokenization for the inspection and the prefixes.
  const tokens = tokenize(query);
  const info = inspectTokens(tokens);
  if (info.form === 'UPDATE')
    throw options.writes === true
      ? new BadRequestHttpError(`This is an update, not a query. ${UPDATE_BY_POST}`)
      : new ForbiddenHttpError(UPDATE_REFUSED);
  const problem = shapeProblem(info.shape);
  if (problem !== undefined) throw new BadRequestHttpError(problem);
  for (const service of info.services) {
    if (service === undefined || !isAllowed(service, options.serviceAllowlist)) {
      throw new ForbiddenHttpError(
        service === undefined
          ? 'SERVICE with a variable or unresolvable endpoint is not allowed: name an allowlisted endpoint IRI.'
          : `SERVICE <${service}> is not on this endpoint's allowlist of remote services` +
              (options.serviceAllowlist.length === 0 ? ' (the allowlist is empty).' : '.'),
      );
    }
  }
  // An unrecognised form is left to the engine, whose parser gives the precise syntax error.
  const form = info.form ?? 'SELECT';
  const offers = typesForForm(form);
  const format = params.get('format') ?? undefined;
  let mediaType: string | undefined;
  if (format !== undefined && format !== '') {
    mediaType = formatToMediaType(format);
    if (mediaType === undefined || !offers.includes(mediaType)) {
      throw new NotAcceptableHttpError(
        `format=${format} cannot be used for a ${form} query; use one of: ${offers.join(', ')}.`,
      );
    }
  } else {
    mediaType = negotiate(input.accept, offers);
    if (mediaType === undefined) {
      throw new NotAcceptableHttpError(
        `None of the accepted media types (${input.accept ?? ''}) can represent a ${form} result; ` +
          `available: ${offers.join(', ')}.`,
      );
    }
  }
  const hasDataset = defaultGraphs.length > 0 || namedGraphs.length > 0;
  return {
    kind: 'query',
    request: {
      query,
      form,
      mediaType,
      ...(hasDataset ? { defaultGraphs, namedGraphs } : {}),
      prefixes: prefixesIn(tokens),
      // Saves the engine inspecting the text again.
      statesDataset: info.hasDataset,
    },
  };
}
