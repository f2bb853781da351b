/**
 * A client for a remote SPARQL 1.1 store: queries (SPARQL Protocol), updates (SPARQL Update) and
 * graph writes (Graph Store Protocol), with credentials (HTTP Basic or Digest, whichever the store
 * asks for), time limits, and errors that say which store failed and how.
 */
import { DigestClient } from 'digest-fetch';
import { HttpError, QueryTimeoutHttpError } from '../errors.js';

/** Where the store is and who we are to it. */
export interface RemoteStoreOptions {
  /** SPARQL query endpoint. */
  readonly queryUrl: string;
  /** SPARQL Update endpoint ('' when not given). */
  readonly updateUrl?: string;
  /** Graph Store Protocol endpoint ('' when not given). */
  readonly graphStoreUrl?: string;
  readonly user?: string;
  readonly password?: string;
}

/** The store could not be reached, or failed; becomes a 502 on the endpoint. */
export class StoreUnavailableError extends HttpError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(502, message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The store refused a request as malformed (a query error); becomes a 400. */
export class StoreRequestError extends HttpError {
  public constructor(message: string) {
    super(400, message);
    this.name = 'StoreRequestError';
  }
}

/** An answer from the store: its text and the headers that matter. */
export interface StoreAnswer {
  readonly body: string;
  readonly contentType: string;
  /** Rows the store cut the answer to, when it says so (Virtuoso's `X-SPARQL-MaxRows`). */
  readonly maxRows: number | undefined;
}

export interface RequestOptions {
  /** Give up after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Protocol dataset: `default-graph-uri` values. */
  readonly defaultGraphs?: readonly string[];
  /** Protocol dataset: `named-graph-uri` values. */
  readonly namedGraphs?: readonly string[];
}

/** The network error behind a failed fetch, in a few words ("ECONNREFUSED", "fetch failed"). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/**
 * The store's own error text without its echo of the query (Virtuoso appends "SPARQL query: …")
 * and cut to a readable length.
 */
export function storeMessage(body: string): string {
  const text = body
    .replace(/\n\s*SPARQL query:[\s\S]*$/u, '')
    .replace(/<[^>]+>/gu, ' ')
    .replace(/[ \t]+/gu, ' ')
    .trim();
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/** Virtuoso reports compile-time errors of the query (SQL states 37000, 42xxx, 22xxx) as 500s. */
const QUERY_FAULT = /^Virtuoso (?:37000|42\w{3}|22\w{3}) Error/mu;

export class RemoteStore {
  public readonly queryUrl: string;
  public readonly updateUrl: string;
  public readonly graphStoreUrl: string;
  private readonly user: string;
  private readonly password: string;
  private scheme: 'none' | 'basic' | 'digest' = 'none';
  private digest: DigestClient | undefined;
  /** The `Server` header of the last answer (tells Virtuoso from the rest). */
  public server = '';

  public constructor(options: RemoteStoreOptions) {
    this.queryUrl = options.queryUrl;
    this.updateUrl = options.updateUrl ?? '';
    this.graphStoreUrl = options.graphStoreUrl ?? '';
    this.user = options.user ?? '';
    this.password = options.password ?? '';
  }

  /** The store's name for messages: its query URL without credentials. */
  public get label(): string {
    const url = new URL(this.queryUrl);
    url.username = '';
    url.password = '';
    return url.href;
  }

  /** True when the store is Virtuoso (from its `Server` header). */
  public get isVirtuoso(): boolean {
    return /virtuoso/iu.test(this.server);
  }

  /**
   * Sends a request, authenticating when the store asks (401): Digest or Basic as its challenge says.
   * Credentials are only ever sent to the store that asked for them.
   */
  private async send(url: string, init: RequestInit): Promise<Response> {
    if (this.user === '') return fetch(url, init);
    if (this.scheme === 'basic') return fetch(url, this.withBasic(init));
    if (this.scheme === 'digest' && this.digest !== undefined)
      return (await this.digest.fetch(url, { ...init })) as Response;
    const res = await fetch(url, init);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.body?.cancel();
    if (/^\s*digest\b/iu.test(challenge)) {
      this.scheme = 'digest';
      this.digest = new DigestClient(this.user, this.password);
      return (await this.digest.fetch(url, { ...init })) as Response;
    }
    this.scheme = 'basic';
    return fetch(url, this.withBasic(init));
  }

  private withBasic(init: RequestInit): RequestInit {
    const token = Buffer.from(`${this.user}:${this.password}`, 'utf8').toString('base64');
    return {
      ...init,
      headers: { ...(init.headers as Record<string, string>), Authorization: `Basic ${token}` },
    };
  }

  /**
   * One HTTP exchange with the store; failures become errors naming the store.
   * @param what - what we were doing, for messages ("query", "update", "graph write")
   */
  private async exchange(
    what: string,
    url: string,
    init: RequestInit,
    timeoutMs: number | undefined,
  ): Promise<Response> {
    let res: Response;
    try {
      res = await this.send(url, {
        ...init,
        ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      });
    } catch (error) {
      if ((error as { name?: string }).name === 'TimeoutError' && timeoutMs !== undefined)
        throw new QueryTimeoutHttpError(timeoutMs);
      throw new StoreUnavailableError(
        `The triple store at ${this.label} could not be reached for a ${what} (${networkReason(error)}).`,
        { cause: error },
      );
    }
    this.server = res.headers.get('server') ?? this.server;
    if (res.ok) return res;
    const text = storeMessage(await res.text().catch(() => ''));
    if (res.status === 401 || res.status === 403) {
      throw new StoreUnavailableError(
        `The triple store at ${this.label} refused the ${what} (${res.status}): ` +
          (this.user === ''
            ? 'it needs credentials (--store-user, CDG_STORE_PASSWORD).'
            : 'check the user name and password, and that the user may write.'),
      );
    }
    if (res.status === 400 || (res.status >= 500 && QUERY_FAULT.test(text)))
      throw new StoreRequestError(text === '' ? `The store refused the ${what}.` : text);
    throw new StoreUnavailableError(
      `The triple store at ${this.label} failed on a ${what} (${res.status} ${res.statusText})${text === '' ? '.' : `: ${text}`}`,
    );
  }

  /**
   * Runs a query (POST, form-encoded, so long queries and datasets fit).
   * @param query - SPARQL text
   * @param accept - the Accept header
   * @param options - time limit and protocol dataset
   */
  public async query(
    query: string,
    accept: string,
    options: RequestOptions = {},
  ): Promise<StoreAnswer> {
    const form = new URLSearchParams();
    form.append('query', query);
    for (const g of options.defaultGraphs ?? []) form.append('default-graph-uri', g);
    for (const g of options.namedGraphs ?? []) form.append('named-graph-uri', g);
    const res = await this.exchange(
      'query',
      this.queryUrl,
      {
        method: 'POST',
        headers: {
          Accept: accept,
          'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
        },
        body: form.toString(),
      },
      options.timeoutMs,
    );
    const maxRows = res.headers.get('x-sparql-maxrows');
    let body: string;
    try {
      body = await res.text();
    } catch (error) {
      if ((error as { name?: string }).name === 'TimeoutError' && options.timeoutMs !== undefined)
        throw new QueryTimeoutHttpError(options.timeoutMs);
      throw new StoreUnavailableError(
        `The triple store at ${this.label} broke off its answer (${networkReason(error)}).`,
        { cause: error },
      );
    }
    return {
      body,
      contentType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase(),
      maxRows: maxRows === null ? undefined : Number(maxRows),
    };
  }

  /** Runs a SELECT and returns its SPARQL JSON bindings, unnormalised. */
  public async select(
    query: string,
    options: RequestOptions = {},
  ): Promise<{
    rows: Array<
      Record<string, { type: string; value: string; datatype?: string; 'xml:lang'?: string }>
    >;
    maxRows: number | undefined;
  }> {
    const answer = await this.query(query, 'application/sparql-results+json', options);
    let parsed: { results?: { bindings?: unknown[] } };
    try {
      parsed = JSON.parse(answer.body) as typeof parsed;
    } catch {
      throw new StoreUnavailableError(
        `The triple store at ${this.label} answered a SELECT with something other than SPARQL JSON (${answer.contentType}).`,
      );
    }
    return {
      rows: (parsed.results?.bindings ?? []) as Array<
        Record<string, { type: string; value: string; datatype?: string; 'xml:lang'?: string }>
      >,
      maxRows: answer.maxRows,
    };
  }

  /**
   * Runs a SPARQL Update.
   * @param update - SPARQL Update text
   * @param timeoutMs - time limit
   * @throws Error when no update URL is configured
   */
  public async update(update: string, timeoutMs?: number): Promise<void> {
    if (this.updateUrl === '')
      throw new StoreRequestError('No update URL is configured for the store (--store-update).');
    const res = await this.exchange(
      'update',
      this.updateUrl,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/sparql-update; charset=UTF-8' },
        body: update,
      },
      timeoutMs,
    );
    await res.body?.cancel();
  }

  /**
   * Adds N-Triples to a graph through the Graph Store Protocol (POST merges into the graph).
   * @param graph - the graph IRI
   * @param ntriples - the triples
   * @param timeoutMs - time limit
   */
  public async postGraph(graph: string, ntriples: string, timeoutMs?: number): Promise<void> {
    const res = await this.exchange(
      'graph write',
      this.graphUrl(graph),
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/n-triples; charset=UTF-8' },
        body: ntriples,
      },
      timeoutMs,
    );
    await res.body?.cancel();
  }

  /**
   * Deletes a graph through the Graph Store Protocol; a graph that does not exist is no error.
   * @param graph - the graph IRI
   * @param timeoutMs - time limit
   */
  public async deleteGraph(graph: string, timeoutMs?: number): Promise<void> {
    try {
      const res = await this.exchange(
        'graph delete',
        this.graphUrl(graph),
        { method: 'DELETE' },
        timeoutMs,
      );
      await res.body?.cancel();
    } catch (error) {
      if (/\(404\b/u.test((error as Error).message)) return;
      throw error;
    }
  }

  /** The Graph Store Protocol URL of one graph (Virtuoso calls the parameter `graph-uri`). */
  private graphUrl(graph: string): string {
    if (this.graphStoreUrl === '')
      throw new StoreRequestError('No Graph Store Protocol URL is configured (--store-gsp).');
    const name = this.isVirtuoso ? 'graph-uri' : 'graph';
    return `${this.graphStoreUrl}${this.graphStoreUrl.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(graph)}`;
  }

  /** Asks the store anything, to learn that it answers and what it is (sets `server`). */
  public async ping(timeoutMs = 10_000): Promise<void> {
    await this.query('ASK {}', 'application/sparql-results+json', { timeoutMs });
  }
}
