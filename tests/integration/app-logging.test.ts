/**
 * createApp through supertest without a port (real engine in this thread): one log line per request
 * with status and duration, and each query logged at debug with its duration.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { loadServableDataset } from '../../src/server.js';
import { createLocalEngine } from '../../src/sparql/localEngine.js';
import { MINI } from '../util/server.js';

describe('request and query logging', () => {
  it('logs each request with status and duration, and each query at debug', async () => {
    const config = resolveConfig({ dataPaths: [MINI], logLevel: 'debug' });
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const dataset = await loadServableDataset(config);
    const engine = await createLocalEngine('oxigraph', dataset.nquads, {
      maxRows: 100,
      serviceAllowlist: [],
    });
    try {
      const app = createApp({
        config,
        engine,
        logger,
        graphs: dataset.graphs,
        version: dataset.version,
        labels: dataset.labels!,
      });
      await request(app).get('/sparql').query({ query: 'ASK { ?s ?p ?o }' }).expect(200);
      await request(app).get('/sparql').query({ query: 'ASK {' }).expect(400);
      await request(app).get('/nowhere').expect(404);
      const requests = lines.filter((l) => l.msg === 'request');
      expect(requests.map((l) => [l.method, l.status])).toEqual([
        ['GET', 200],
        ['GET', 400],
        ['GET', 404],
      ]);
      expect(requests.every((l) => typeof l.ms === 'number')).toBe(true);
      const queries = lines.filter((l) => l.msg === 'query');
      expect(queries).toHaveLength(1);
      expect(queries[0]).toMatchObject({ level: 20, form: 'ASK', module: 'sparql' });
      expect(typeof queries[0]?.ms).toBe('number');
    } finally {
      await engine.close();
    }
  });
});
