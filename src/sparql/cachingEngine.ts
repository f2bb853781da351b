/**
 * A result cache in front of any engine: answers keyed by query text, result format, dataset and the
 * data version, kept in memory up to a byte budget (least recently used out first). A hit never
 * reaches a worker thread, and a query asked again while its first run is under way waits for that
 * run instead of starting another. Any change to the data changes the version, which invalidates
 * everything.
 */
import type { QueryEngine, QueryOptions, QueryRequest, QueryResponse } from './engine.js';

/** Answers that may differ between two runs: remote services, randomness, the clock, fresh blank nodes. */
const UNCACHEABLE = /\bSERVICE\b|\b(?:NOW|RAND|UUID|STRUUID|BNODE)\s*\(/iu;
/**
 * Per request object: its key without the data version (null: not cacheable). The fast path
 * hands the same object for a repeated request, so that is worked out once.
 */
const READ = new WeakMap<QueryRequest, string | null>();

/** Memory an answer takes: its bytes, or its text (UTF-16). */
function sizeOf(response: QueryResponse): number {
  return response.bytes?.byteLength ?? response.body.length * 2;
}

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export class CachingEngine implements QueryEngine {
  public readonly name;
  private readonly entries = new Map<string, QueryResponse>();
  /** Misses being answered now: the same query asked meanwhile waits for that answer. */
  private readonly pending = new Map<string, Promise<QueryResponse>>();
  private bytes = 0;
  public readonly stats: CacheStats = { hits: 0, misses: 0, entries: 0, bytes: 0 };

  /**
   * @param inner - the engine that answers misses
   * @param version - the data version (a content hash): part of every key
   * @param maxBytes - memory budget for cached bodies (0 disables the cache)
   * @param maxEntryBytes - larger answers are not cached
   */
  public constructor(
    private readonly inner: QueryEngine,
    private version: string,
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly maxEntryBytes = 4 * 1024 * 1024,
  ) {
    this.name = inner.name;
  }

  public get description(): string {
    return this.inner.description;
  }

  /** False when the budget is 0: nothing is ever cached (or found). */
  public get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Drops every cached answer and keys new ones by `version` (call after any write). */
  public invalidate(version: string): void {
    this.version = version;
    this.entries.clear();
    this.bytes = 0;
    this.stats.entries = 0;
    this.stats.bytes = 0;
  }

  /** The cache key of a request, or undefined when its answer may not be cached. */
  private key(request: QueryRequest): string | undefined {
    let rest = READ.get(request);
    if (rest === undefined) {
      rest = UNCACHEABLE.test(request.query)
        ? null
        : JSON.stringify([
            request.mediaType,
            request.defaultGraphs ?? null,
            request.namedGraphs ?? null,
            request.baseIri ?? null,
            request.query,
          ]);
      READ.set(request, rest);
    }
    return rest === null ? undefined : `${this.version}\n${rest}`;
  }

  /**
   * The cached answer to `request`, if there is one (counted as a hit), without asking the engine.
   * @param request - as for `query`
   */
  public peek(request: QueryRequest): QueryResponse | undefined {
    if (this.maxBytes === 0) return undefined;
    const key = this.key(request);
    if (key === undefined) return undefined;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Refresh its place in the LRU order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.stats.hits++;
    }
    return hit;
  }

  public async query(request: QueryRequest, options?: QueryOptions): Promise<QueryResponse> {
    const key = this.maxBytes === 0 ? undefined : this.key(request);
    if (key === undefined) return this.inner.query(request, options);
    const hit = this.peek(request);
    if (hit !== undefined) return hit;
    const running = this.pending.get(key);
    if (running !== undefined) {
      // Asked again before the first answer came: share it rather than run the query twice.
      this.stats.hits++;
      return running;
    }
    this.stats.misses++;
    const answer = this.inner.query(request, options);
    this.pending.set(key, answer);
    let response: QueryResponse;
    try {
      response = await answer;
    } finally {
      this.pending.delete(key);
    }
    const size = sizeOf(response);
    if (size <= this.maxEntryBytes) {
      this.entries.set(key, response);
      this.bytes += size;
      for (const [k, v] of this.entries) {
        if (this.bytes <= this.maxBytes) break;
        this.entries.delete(k);
        this.bytes -= sizeOf(v);
      }
      this.stats.entries = this.entries.size;
      this.stats.bytes = this.bytes;
    }
    return response;
  }

  public close(): Promise<void> {
    return this.inner.close();
  }
}
