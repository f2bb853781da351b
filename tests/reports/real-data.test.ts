/**
 * Every report on the real data: non-empty, and every local link in its HTML resolves.
 */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { REPO_ROOT, startTestServer } from '../util/server.js';
import type { JsonReport } from './helpers.js';

let running: RunningServer;
let names: string[] = [];

beforeAll(async () => {
  running = await startTestServer({
    dataPaths: [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')],
    workers: 4,
  });
  const index = await request(running.server).get('/reports');
  names = [...index.text.matchAll(/<a href="\/reports\/([a-z0-9-]+)">/gu)].map((m) => m[1]!);
});
afterAll(async () => {
  await running.close();
});

describe('reports on the real data', () => {
  it('lists the six cross-reference reports and the single-query ones', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'norms-documents',
        'sectors',
        'incidents',
        'states',
        'document-crossref',
        'coverage',
        'norms',
      ]),
    );
  });

  it('every report is non-empty and every row of a cross-reference report cites a source', async () => {
    for (const name of names) {
      const res = await request(running.server).get(`/reports/${name}?format=json`);
      expect(res.status, name).toBe(200);
      const report = JSON.parse(res.text) as JsonReport;
      const rows = report.sections.flatMap((s) => s.rows);
      expect(rows.length, name).toBeGreaterThan(0);
      expect(report.sources.length, name).toBeGreaterThan(0);
    }
    const nd = JSON.parse(
      (await request(running.server).get('/reports/norms-documents?format=json')).text,
    ) as JsonReport;
    const norms = new Set(nd.sections[0]!.rows.map((r) => (r.cells.norm as { iri?: string }).iri));
    expect(norms.size).toBe(11);
    for (const row of nd.sections[0]!.rows) expect(row.sources.length).toBeGreaterThan(0);
    // On the real data the linker has stored no mentions: the UN documents' links stand in.
    const cross = JSON.parse(
      (await request(running.server).get('/reports/document-crossref?format=json')).text,
    ) as JsonReport;
    expect(cross.sections.find((s) => s.id === 'document-overlap')!.rows.length).toBeGreaterThan(0);
  });

  it('every local link in every HTML report resolves', async () => {
    const hrefs = new Set<string>();
    for (const name of names) {
      const res = await request(running.server).get(`/reports/${name}`).set('Accept', 'text/html');
      expect(res.status, name).toBe(200);
      for (const m of res.text.matchAll(/href="([^"]*)"/gu)) {
        const href = m[1]!.replace(/&amp;/gu, '&');
        if (href.startsWith('/') && !href.startsWith('//')) hrefs.add(href.split('#')[0]!);
      }
    }
    expect(hrefs.size).toBeGreaterThan(100);
    const failures: string[] = [];
    const list = [...hrefs];
    // Eight at a time: the per-client limit of requests in flight (a crawler gets 429 beyond it).
    for (let i = 0; i < list.length; i += 8) {
      await Promise.all(
        list.slice(i, i + 8).map(async (href) => {
          // What a browser sends when following a link.
          const res = await request(running.server)
            .get(href)
            .set('Accept', 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8');
          if (res.status !== 200) failures.push(`${res.status} ${href}`);
        }),
      );
    }
    expect(failures).toEqual([]);
  });
});
