/**
 * Prometheus metrics, served at `/metrics`: requests by route and status, latency histograms, query
 * timeouts and crashes, the result cache, the worker pool, per-client refusals, the journal's size,
 * and the process's own figures (resident memory, heap, event-loop lag, GC). One registry per
 * server, so several servers in one process (tests) never mix their figures.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueryOutcome } from './sparql/workerPool.js';

/** What the metrics read when scraped; each source is optional. */
export interface MetricSources {
  /** The result cache's counters. */
  cache?: () => { hits: number; misses: number; entries: number; bytes: number };
  /** The worker pool's state. */
  pool?: () => {
    ready: number;
    size: number;
    queued: number;
    replacements: number;
    timeouts: number;
    crashes: number;
  };
  /** Clients currently tracked by the per-client limits. */
  clients?: () => number;
  /** 1 when the server is ready to serve (see `/ready`). */
  ready?: () => boolean;
}

/**
 * The route label of a request path: a small fixed set, so that the label's cardinality stays
 * bounded whatever paths clients send.
 * @param path - the URL path
 */
export function routeLabel(path: string): string {
  if (path === '/sparql' || path === '/sparql/') return '/sparql';
  if (path === '/') return '/';
  const prefixes: ReadonlyArray<readonly [string, string]> = [
    ['/id/', '/id/*'],
    ['/graph/', '/graph/*'],
    ['/ontology', '/ontology'],
    ['/api/autocomplete', '/api/autocomplete'],
    ['/api/link', '/api/link'],
    ['/api/', '/api/*'],
    ['/link', '/link'],
    ['/reconcile', '/reconcile'],
    ['/reports', '/reports'],
    ['/search', '/search'],
    ['/classes', '/classes'],
    ['/assets/', '/assets/*'],
    ['/dumps/', '/dumps/*'],
    ['/q/', '/q/*'],
    ['/.well-known/', '/.well-known/*'],
    ['/health', '/health'],
    ['/ready', '/ready'],
    ['/metrics', '/metrics'],
  ];
  for (const [prefix, label] of prefixes) if (path.startsWith(prefix)) return label;
  return 'other';
}

export class Metrics {
  public readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'route' | 'method'>;
  private readonly inFlight: Gauge;
  private readonly queries: Histogram<'outcome'>;
  private readonly refusals: Counter<'reason'>;
  private readonly journalBytes: Gauge;
  private journalSource: (() => number) | undefined;

  /**
   * @param sources - where scrape-time figures come from (cache, pool, clients, readiness)
   */
  public constructor(sources: MetricSources = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'cdg_' });
    this.requests = new Counter({
      name: 'cdg_http_requests_total',
      help: 'HTTP requests answered, by route, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'cdg_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response, by route and method.',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'cdg_http_requests_in_flight',
      help: 'HTTP requests being answered now.',
      registers,
    });
    this.queries = new Histogram({
      name: 'cdg_query_duration_seconds',
      help: 'Worker time of queries (and linking jobs) that reached a worker, by outcome (ok, error, timeout, crash).',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.refusals = new Counter({
      name: 'cdg_client_limit_refusals_total',
      help: 'Requests refused with 429 by the per-client limits, by reason (concurrency, budget).',
      labelNames: ['reason'],
      registers,
    });
    this.journalBytes = new Gauge({
      name: 'cdg_journal_size_bytes',
      help: 'Size of the write journal in bytes (0 when there is none).',
      registers,
      collect: () => {
        if (this.journalSource !== undefined) this.journalBytes.set(this.journalSource());
      },
    });
    this.journalBytes.set(0);
    const counter = (name: string, help: string, read: () => number): void => {
      const c: Counter = new Counter({
        name,
        help,
        registers,
        collect: () => {
          c.reset();
          c.inc(read());
        },
      });
    };
    const gauge = (name: string, help: string, read: () => number): void => {
      const g: Gauge = new Gauge({ name, help, registers, collect: () => g.set(read()) });
    };
    const { cache, pool, clients, ready } = sources;
    if (cache !== undefined) {
      counter(
        'cdg_cache_hits_total',
        'Queries answered from the result cache.',
        () => cache().hits,
      );
      counter(
        'cdg_cache_misses_total',
        'Cacheable queries the result cache did not hold.',
        () => cache().misses,
      );
      gauge('cdg_cache_entries', 'Answers held in the result cache.', () => cache().entries);
      gauge('cdg_cache_bytes', 'Memory used by cached answers (estimated).', () => cache().bytes);
    }
    if (pool !== undefined) {
      gauge('cdg_query_workers', 'Query worker threads configured.', () => pool().size);
      gauge('cdg_query_workers_ready', 'Query workers able to take a query.', () => pool().ready);
      gauge('cdg_query_queue_length', 'Queries waiting for a worker.', () => pool().queued);
      counter(
        'cdg_query_timeouts_total',
        'Queries stopped at their deadline (answered 503).',
        () => pool().timeouts,
      );
      counter(
        'cdg_query_crashes_total',
        'Queries on which the engine trapped (its worker was replaced).',
        () => pool().crashes,
      );
      counter(
        'cdg_query_worker_replacements_total',
        'Workers replaced after a timeout or an engine crash.',
        () => pool().replacements,
      );
    }
    if (clients !== undefined) {
      gauge(
        'cdg_clients_tracked',
        'Clients with requests in flight or query time charged in the current window.',
        clients,
      );
    }
    if (ready !== undefined) {
      gauge(
        'cdg_ready',
        '1 when the server is ready to serve (GET /ready answers 200), else 0.',
        () => (ready() ? 1 : 0),
      );
    }
  }

  /**
   * Starts timing a request; call the returned function once its response is done.
   * @param path - URL path (mapped to a bounded route label)
   * @param method - HTTP method
   */
  public startRequest(path: string, method: string): (status: number) => void {
    const route = routeLabel(path);
    const known = ['GET', 'HEAD', 'POST', 'OPTIONS'].includes(method) ? method : 'other';
    const end = this.latency.startTimer({ route, method: known });
    this.inFlight.inc();
    let done = false;
    return (status) => {
      if (done) return;
      done = true;
      end();
      this.inFlight.dec();
      this.requests.inc({ route, method: known, status: String(status) });
    };
  }

  /** Records a query that reached a worker (the pool's `onQueryDone`). */
  public readonly queryDone = (ms: number, outcome: QueryOutcome): void => {
    this.queries.observe({ outcome }, ms / 1000);
  };

  /** Counts a request refused by the per-client limits. */
  public refused(reason: 'concurrency' | 'budget'): void {
    this.refusals.inc({ reason });
  }

  /**
   * Sets the journal's size (for the write journal, which calls this after each append or
   * compaction).
   * @param bytes - current size in bytes
   */
  public setJournalSize(bytes: number): void {
    this.journalBytes.set(bytes);
  }

  /**
   * Reads the journal's size at every scrape instead.
   * @param read - returns the size in bytes
   */
  public setJournalSizeCollector(read: () => number): void {
    this.journalSource = read;
  }

  /** The text exposition format, and its content type. */
  public async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
