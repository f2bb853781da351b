import { describe, expect, it } from 'vitest';
import { Metrics, routeLabel } from '../../src/metrics.js';

describe('routeLabel', () => {
  it('maps any path to one of a small fixed set of labels', () => {
    expect(routeLabel('/sparql')).toBe('/sparql');
    expect(routeLabel('/id/state/FRA')).toBe('/id/*');
    expect(routeLabel('/id/state/FRA.ttl')).toBe('/id/*');
    expect(routeLabel('/api/autocomplete')).toBe('/api/autocomplete');
    expect(routeLabel('/api/link')).toBe('/api/link');
    expect(routeLabel('/api/labels')).toBe('/api/*');
    expect(routeLabel('/reports/coverage')).toBe('/reports');
    expect(routeLabel('/wp-admin/../../etc/passwd')).toBe('other');
    expect(routeLabel(`/${'x'.repeat(5000)}`)).toBe('other');
  });
});

describe('Metrics', () => {
  it('counts requests by route and status, times them, and reads its sources at scrape time', async () => {
    let hits = 0;
    const metrics = new Metrics({
      cache: () => ({ hits, misses: 2, entries: 1, bytes: 100 }),
      pool: () => ({ ready: 2, size: 2, queued: 0, replacements: 1, timeouts: 3, crashes: 1 }),
      clients: () => 5,
      ready: () => true,
    });
    metrics.startRequest('/id/state/FRA', 'GET')(200);
    metrics.startRequest('/sparql', 'POST')(429);
    const done = metrics.startRequest('/sparql', 'BREW');
    done(400);
    done(400); // once only
    metrics.queryDone(12, 'ok');
    metrics.refused('budget');
    metrics.setJournalSize(4096);
    hits = 7;
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toMatch(/cdg_http_requests_total\{route="\/id\/\*",method="GET",status="200"\} 1/);
    expect(body).toMatch(
      /cdg_http_requests_total\{route="\/sparql",method="POST",status="429"\} 1/,
    );
    expect(body).toMatch(
      /cdg_http_requests_total\{route="\/sparql",method="other",status="400"\} 1/,
    );
    expect(body).toMatch(
      /cdg_http_request_duration_seconds_bucket\{le="0.001",route="\/id\/\*",method="GET"\}/,
    );
    expect(body).toMatch(/cdg_http_requests_in_flight 0/);
    expect(body).toMatch(/cdg_query_duration_seconds_count\{outcome="ok"\} 1/);
    expect(body).toMatch(/cdg_query_timeouts_total 3/);
    expect(body).toMatch(/cdg_query_crashes_total 1/);
    expect(body).toMatch(/cdg_query_worker_replacements_total 1/);
    expect(body).toMatch(/cdg_cache_hits_total 7/);
    expect(body).toMatch(/cdg_cache_misses_total 2/);
    expect(body).toMatch(/cdg_client_limit_refusals_total\{reason="budget"\} 1/);
    expect(body).toMatch(/cdg_clients_tracked 5/);
    expect(body).toMatch(/cdg_ready 1/);
    expect(body).toMatch(/cdg_journal_size_bytes 4096/);
    expect(body).toMatch(/cdg_process_resident_memory_bytes \d+/);
    metrics.setJournalSizeCollector(() => 8192);
    expect((await metrics.render()).body).toMatch(/cdg_journal_size_bytes 8192/);
  });
});
