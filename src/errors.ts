/**
 * Errors that carry an HTTP status, translated into responses in one place (the error middleware),
 * and domain errors that carry where the problem is (file, line, column).
 */

/** An error that knows which HTTP status it should become. */
export class HttpError extends Error {
  public readonly statusCode: number;
  public readonly headers: Record<string, string>;

  public constructor(
    statusCode: number,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.headers = options.headers ?? {};
  }
}

/** 400: the request is malformed (e.g. a SPARQL syntax error). */
export class BadRequestHttpError extends HttpError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(400, message, options);
  }
}

/** 401: the request needs credentials; `WWW-Authenticate` says which (RFC 6750 bearer tokens). */
export class UnauthorizedHttpError extends HttpError {
  public constructor(message: string, challenge: string) {
    super(401, message, { headers: { 'WWW-Authenticate': challenge } });
  }
}

/** 403: the request is understood but refused (e.g. SPARQL Update on the read-only endpoint). */
export class ForbiddenHttpError extends HttpError {
  public constructor(message: string) {
    super(403, message);
  }
}

/** 404: nothing is known under this IRI or path. */
export class NotFoundHttpError extends HttpError {
  public constructor(message = 'Not found') {
    super(404, message);
  }
}

/** 405: the method is not supported on this resource; `allow` lists the ones that are. */
export class MethodNotAllowedHttpError extends HttpError {
  public constructor(allow: readonly string[], message?: string) {
    super(405, message ?? `Method not allowed; use ${allow.join(' or ')}.`, {
      headers: { Allow: allow.join(', ') },
    });
  }
}

/** 406: none of the media types the client accepts can be produced. */
export class NotAcceptableHttpError extends HttpError {
  public constructor(message: string) {
    super(406, message);
  }
}

/** 413: the request body is larger than the configured limit. */
export class PayloadTooLargeHttpError extends HttpError {
  public constructor(message: string) {
    super(413, message);
  }
}

/** 415: the request body's media type is not one this endpoint reads. */
export class UnsupportedMediaTypeHttpError extends HttpError {
  public constructor(message: string) {
    super(415, message);
  }
}

/** 422: the request is well-formed but its content breaks a rule (e.g. a SHACL shape). */
export class UnprocessableEntityHttpError extends HttpError {
  public constructor(message: string) {
    super(422, message);
  }
}

/** 429: one client asked for more than its share; `Retry-After` says when to try again. */
export class TooManyRequestsHttpError extends HttpError {
  public readonly retryAfterSeconds: number;
  /** Which limit refused it: requests in flight, or query time. */
  public readonly reason: 'concurrency' | 'budget';

  public constructor(message: string, retryAfterSeconds: number, reason: 'concurrency' | 'budget') {
    super(429, message, { headers: { 'Retry-After': String(retryAfterSeconds) } });
    this.retryAfterSeconds = retryAfterSeconds;
    this.reason = reason;
  }
}

/** 503: the server cannot answer now (starting, shutting down); `Retry-After` when known. */
export class ServiceUnavailableHttpError extends HttpError {
  public constructor(message: string, retryAfterSeconds?: number) {
    super(
      503,
      message,
      retryAfterSeconds === undefined
        ? {}
        : { headers: { 'Retry-After': String(retryAfterSeconds) } },
    );
  }
}

/** 503: the query ran past its time limit and was stopped. */
export class QueryTimeoutHttpError extends HttpError {
  public constructor(timeoutMs: number) {
    super(
      503,
      `Query timed out: it ran longer than the limit of ${timeoutMs} ms and was stopped. ` +
        'Narrow it (more specific patterns, LIMIT) or run it locally with `cdg query`.',
    );
  }
}

/**
 * Type guard that survives duplicate module copies (duck-typed rather than `instanceof`).
 * @param error - anything thrown
 */
export function isHttpError(error: unknown): error is HttpError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { statusCode?: unknown }).statusCode === 'number' &&
    error instanceof Error
  );
}

/** A data file could not be parsed: names the file and, where the parser said so, line and column. */
export class DataLoadError extends Error {
  public readonly file: string;
  /** The message without its position. */
  public readonly detail: string;
  public readonly line: number | undefined;
  public readonly column: number | undefined;

  public constructor(file: string, detail: string, line?: number, column?: number) {
    const where =
      line === undefined ? file : `${file}:${line}${column === undefined ? '' : `:${column}`}`;
    super(`${where}: ${detail}`);
    this.name = 'DataLoadError';
    this.file = file;
    this.detail = detail;
    this.line = line;
    this.column = column;
  }
}

/** The configuration is invalid; the message says what to fix. */
export class ConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A SPARQL query could not be parsed; carries the parser's position when it gave one. */
export class QuerySyntaxError extends Error {
  public readonly line: number | undefined;
  public readonly column: number | undefined;

  public constructor(message: string, line?: number, column?: number) {
    super(message);
    this.name = 'QuerySyntaxError';
    this.line = line;
    this.column = column;
  }
}
