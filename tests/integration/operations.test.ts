/**
 * Operations: liveness and readiness, Prometheus metrics, graceful shutdown (in process, and on
 * SIGTERM to the real `cdg serve` process), and configuration errors reported at start.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { MINI, REPO_ROOT, startTestServer } from '../util/server.js';
import { until } from '../util/wait.js';

const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** Opens a connection and sends `head` (and optionally part of a body); `send` adds more bytes. */
function openRequest(
  url: string,
  head: string,
): {
  send: (bytes: string) => void;
  response: Promise<string>;
} {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  socket.write(head);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const response = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', () => undefined);
  });
  return { send: (bytes) => socket.write(bytes), response };
}

const QUERY = 'ASK { <http://example.org/alpha> ?p ?o }';
/** A POST whose head and first bytes are sent; the rest of the body comes later. */
const partialPost = (): string =>
  'POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n' +
  `Content-Length: ${QUERY.length}\r\n\r\n${QUERY.slice(0, 4)}`;

/** True once nothing accepts connections at `url` any more. */
async function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

describe('liveness and readiness', () => {
  it('is alive but not ready while loading, then ready', async () => {
    const seen: Record<string, number | string> = {};
    const server = await startTestServer(
      {},
      {
        onListening: async (url) => {
          const health = await fetch(`${url}/health`);
          seen.health = health.status;
          seen.healthBody = ((await health.json()) as { status: string }).status;
          const ready = await fetch(`${url}/ready`);
          seen.ready = ready.status;
          seen.retryAfter = ready.headers.get('retry-after') ?? '';
          const query = await fetch(`${url}/sparql?query=${encodeURIComponent('ASK {}')}`);
          seen.query = query.status;
          seen.metrics = (await fetch(`${url}/metrics`)).status;
        },
      },
    );
    try {
      expect(seen).toEqual({
        health: 200,
        healthBody: 'starting',
        ready: 503,
        retryAfter: '5',
        query: 503,
        metrics: 200,
      });
      await request(server.url)
        .get('/health')
        .expect(200, /"status":"ok"/);
      const ready = await request(server.url).get('/ready').expect(200);
      expect(ready.body).toEqual({ status: 'ready', workers: 2 });
    } finally {
      await server.close();
    }
  });
});

describe('GET /metrics', () => {
  it('exposes requests, latencies, cache hits and misses, workers and process figures', async () => {
    const server = await startTestServer({ workers: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        await request(server.url).get('/sparql').query({ query: QUERY }).expect(200);
      }
      await request(server.url).get('/nowhere').expect(404);
      const res = await request(server.url).get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = res.text;
      expect(text).toMatch(
        /cdg_http_requests_total\{route="\/sparql",method="GET",status="200"\} 3/,
      );
      expect(text).toMatch(/cdg_http_requests_total\{route="other",method="GET",status="404"\} 1/);
      expect(text).toMatch(
        /cdg_http_request_duration_seconds_count\{route="\/sparql",method="GET"\} 3/,
      );
      expect(text).toMatch(/cdg_cache_hits_total 2/);
      expect(text).toMatch(/cdg_cache_misses_total 1/);
      expect(text).toMatch(/cdg_query_duration_seconds_count\{outcome="ok"\} 1/);
      expect(text).toMatch(/cdg_query_workers_ready 1/);
      expect(text).toMatch(/cdg_query_timeouts_total 0/);
      expect(text).toMatch(/cdg_ready 1/);
      expect(text).toMatch(/cdg_journal_size_bytes 0/);
      expect(text).toMatch(/cdg_process_resident_memory_bytes \d+/);
      expect(text).toMatch(/cdg_nodejs_eventloop_lag_seconds/);
      // The hook the write journal sets.
      server.metrics.setJournalSize(1234);
      await request(server.url)
        .get('/metrics')
        .expect(200, /cdg_journal_size_bytes 1234/);
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('stops accepting, answers late arrivals 503, finishes in-flight requests, then runs hooks', async () => {
    const server = await startTestServer({ workers: 1 });
    const events: string[] = [];
    server.onShutdown(() => {
      events.push(`hook (pool ready: ${server.engine.readyWorkers})`);
    });
    // In flight: its body is half sent.
    const inFlight = openRequest(server.url, partialPost());
    // Arriving: its head is half sent, so its request starts only after shutdown begins.
    const late = openRequest(server.url, 'GET /ready HTTP/1.1\r\nHost: x\r\n');
    await until(
      async () => /cdg_http_requests_in_flight 1/.test((await server.metrics.render()).body),
      'the first request is in flight',
    );
    const stopped = server.shutdown(10_000).then((result) => {
      events.push('stopped');
      return result;
    });
    await until(() => refusesConnections(server.url), 'the listener is closed');
    late.send('\r\n');
    const lateResponse = await late.response;
    expect(lateResponse).toMatch(/^HTTP\/1\.1 503/);
    expect(lateResponse).toMatch(/"status":"draining"/);
    expect(lateResponse).toMatch(/Connection: close/i);
    expect(events).toEqual([]);
    inFlight.send(QUERY.slice(4));
    const answered = await inFlight.response;
    expect(answered).toMatch(/^HTTP\/1\.1 200/);
    expect(answered).toMatch(/Connection: close/i);
    expect(answered).toMatch(/"boolean":true/);
    expect(await stopped).toEqual({ cut: 0 });
    // The hook ran after the requests drained, before the workers closed.
    expect(events).toEqual(['hook (pool ready: 1)', 'stopped']);
    expect(server.engine.readyWorkers).toBe(0);
  });

  it('cuts connections still open at the deadline', async () => {
    const server = await startTestServer({ workers: 1 });
    const stuck = openRequest(server.url, partialPost());
    await until(
      async () => /cdg_http_requests_in_flight 1/.test((await server.metrics.render()).body),
      'the request is in flight',
    );
    expect(await server.shutdown(300)).toEqual({ cut: 1 });
    expect(await stuck.response).toBe('');
  });
});

describe('cdg serve as a process', () => {
  const start = (
    args: string[],
    env: Record<string, string> = {},
  ): ChildProcessWithoutNullStreams =>
    spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
  const urlOf = (child: ChildProcessWithoutNullStreams): Promise<string> =>
    new Promise((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const m = /SPARQL endpoint: (http:\/\/[^\s]+)\/sparql/.exec(err);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const child = start(['--data', MINI, '--workers', '1', '--shutdown-grace', '20000']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await urlOf(child);
      const inFlight = openRequest(url, partialPost());
      await until(
        async () =>
          /cdg_http_requests_in_flight 2/.test(await (await fetch(`${url}/metrics`)).text()),
        'the request is in flight',
      );
      child.kill('SIGTERM');
      await until(() => refusesConnections(url), 'the process stops accepting');
      inFlight.send(QUERY.slice(4));
      expect(await inFlight.response).toMatch(/^HTTP\/1\.1 200[\s\S]*"boolean":true/);
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/SIGTERM: finishing requests in flight/);
      expect(stderr).toMatch(/Stopped\./);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reports configuration errors at start, before loading anything', async () => {
    const cdg = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn', ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const missing = cdg(['--data', path.join(MINI, 'no-such-dir'), '--port', '0']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/data path .*no-such-dir does not exist/);
    const state = cdg(['--data', MINI, '--port', '0'], {
      CDG_STATE_DIR: path.join(REPO_ROOT, 'package.json', 'state'),
    });
    expect(state.status).toBe(2);
    expect(state.stderr).toMatch(/state directory .* cannot be written/);
    const queries = cdg(['--data', MINI, '--port', '0'], { CDG_QUERIES: path.join(MINI, 'nope') });
    expect(queries.status).toBe(2);
    expect(queries.stderr).toMatch(/queries directory .* does not exist/);
    const window = cdg(['--data', MINI, '--client-window', '5']);
    expect(window.status).toBe(2);
    expect(window.stderr).toMatch(/client budget window \(ms\) must be a whole number/);
    // A port in use is reported before any data is loaded.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((blocker.address() as net.AddressInfo).port);
      const busy = spawn(
        process.execPath,
        ['--import', 'tsx', MAIN, 'serve', '--data', MINI, '--port', port],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, LOG_LEVEL: 'warn' },
        },
      );
      let err = '';
      busy.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((resolve) => busy.once('exit', resolve));
      expect(code).toBe(1);
      expect(err).toMatch(/EADDRINUSE/);
      expect(err).not.toMatch(/Listening on|quads in/);
    } finally {
      blocker.close();
    }
  });

  it('warns at start about CDG_ variables no setting reads', async () => {
    const child = start(['--data', MINI, '--workers', '1'], { CDG_TIMEOUT_MS: '5' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await urlOf(child);
      expect(stderr).toMatch(/CDG_TIMEOUT_MS is not a setting of this server; is it misspelt\?/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
