/**
 * Every report rendered on the small fixture graph (tests/fixtures/reports, invented test data),
 * its rows checked against what the fixture says; the formats, the HTTP surface and the CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { REPO_ROOT, startTestServer } from '../util/server.js';
import { flatRows, REPORT_FIXTURE, type JsonReport } from './helpers.js';

let running: RunningServer;
const reports = new Map<string, JsonReport>();

async function json(name: string, query = ''): Promise<JsonReport> {
  const res = await request(running.server).get(`/reports/${name}?format=json${query}`);
  expect(res.status, `${name}: ${res.text}`).toBe(200);
  return JSON.parse(res.text) as JsonReport;
}

beforeAll(async () => {
  running = await startTestServer({ dataPaths: [REPORT_FIXTURE] });
  for (const name of [
    'norms-documents',
    'sectors',
    'incidents',
    'states',
    'document-crossref',
    'coverage',
  ])
    reports.set(name, await json(name));
});
afterAll(async () => {
  await running.close();
});

describe('reports on the fixture graph', () => {
  it('norms × documents: every link of a norm to a document, with relation, paragraph and sources', () => {
    const rows = flatRows(reports.get('norms-documents')!, 'norms-documents');
    expect(rows[0]!.relations!.split(', ').sort()).toEqual(['affirms', 'defines']);
    expect(rows).toEqual([
      {
        norm: '~id/norm/test-a',
        document: '~id/document/TEST-1',
        relations: rows[0]!.relations,
        strength: '3',
        sources: '~id/document/TEST-1 ~id/source/test-source-1',
      },
      {
        norm: '~id/norm/test-a',
        document: '~id/document/TEST-2',
        relations: 'elaborates',
        paragraphs: '7',
        strength: '2',
        sources: '~id/source/test-source-2',
      },
      {
        norm: '~id/norm/test-b',
        document: '~id/document/TEST-1',
        relations: 'affirms',
        strength: '1',
        sources: '~id/source/test-source-1',
      },
    ]);
  });

  it('sectors: counts, the documents naming each, the incidents by year', () => {
    const r = reports.get('sectors')!;
    expect(
      flatRows(r, 'sectors').map(({ sector, documents, incidents }) => ({
        sector,
        documents,
        incidents,
      })),
    ).toEqual([
      { sector: '~id/sector/test-power', documents: '1', incidents: '1' },
      { sector: '~id/sector/test-water', documents: '0', incidents: '1' },
    ]);
    expect(flatRows(r, 'sector-documents')).toEqual([
      {
        sector: '~id/sector/test-power',
        document: '~id/document/TEST-1',
        via: 'names as critical infrastructure',
        sources: '~id/source/test-source-1',
      },
    ]);
    expect(flatRows(r, 'sector-incidents')).toEqual([
      {
        sector: '~id/sector/test-power',
        year: '2019',
        incident: '~id/incident/test-blackout-2019',
        sources: '~id/source/test-source-1',
      },
      {
        sector: '~id/sector/test-water',
        year: '2021',
        incident: '~id/incident/test-leak-2021',
        sources: '~id/source/test-source-2',
      },
    ]);
  });

  it('incidents: victims and sectors, attributions, attributors, breach claims', () => {
    const r = reports.get('incidents')!;
    expect(r.parameters).toEqual({ since: '2000' });
    const incidents = flatRows(r, 'incidents');
    expect(incidents.map((i) => i.incident)).toEqual([
      '~id/incident/test-undated',
      '~id/incident/test-blackout-2019',
      '~id/incident/test-leak-2021',
    ]);
    expect(incidents[1]).toMatchObject({
      date: '2019-03-01',
      victims: '~id/organization/test-utility',
      targetStates: '~id/state/XAB',
      sectors: '~id/sector/test-power',
      sources: '~id/source/test-source-1',
    });
    expect(flatRows(r, 'incidents-attributions')).toEqual([
      {
        incident: '~id/incident/test-blackout-2019',
        by: '~id/state/XAB',
        to: '~id/state/XAA',
        date: '2019-05-01',
        sources: '~id/source/test-source-1',
      },
      {
        incident: '~id/incident/test-leak-2021',
        by: '~id/state/XAC',
        to: '~id/actor/test-actor',
        date: '2021-07-01',
        confidence: 'high',
        sources: '~id/source/test-source-2',
      },
    ]);
    expect(flatRows(r, 'attributors').map((a) => [a.by, a.incidents])).toEqual([
      ['~id/state/XAB', '1'],
      ['~id/state/XAC', '1'],
    ]);
    expect(flatRows(r, 'breach-claims')).toEqual([
      {
        incident: '~id/incident/test-blackout-2019',
        norm: '~id/norm/test-a',
        claimant: '~id/state/XAB',
        date: '2019-05-02',
        sources: '~id/source/test-source-1',
      },
    ]);
  });

  it('incidents since a year: the parameter filters', async () => {
    const r = await json('incidents', '&since=2020');
    expect(flatRows(r, 'incidents').map((i) => i.incident)).toEqual([
      '~id/incident/test-undated',
      '~id/incident/test-leak-2021',
    ]);
  });

  it('states: memberships, Paris Call, A/76/136 position, attributions made and received', async () => {
    const r = reports.get('states')!;
    const overview = flatRows(r, 'states');
    expect(overview).toEqual([
      {
        state: '~id/state/XAA',
        gges: '~id/process/test-gge',
        parisCall: 'yes',
        positionInA76136: 'yes',
        attributionsMade: '0',
        attributionsReceived: '1',
        sources: '~id/document/A-76-136 ~id/source/test-source-1',
      },
      {
        state: '~id/state/XAB',
        oewgs: '~id/process/test-oewg',
        attributionsMade: '1',
        attributionsReceived: '0',
        sources: '~id/source/test-source-1',
      },
      {
        state: '~id/state/XAC',
        attributionsMade: '1',
        attributionsReceived: '0',
        sources: '~id/source/test-source-2',
      },
    ]);
    // The default state (France) is not in the fixture: the profile is empty.
    expect(flatRows(r, 'state-profile')).toEqual([]);
    const xaa = await json(
      'states',
      `&state=${encodeURIComponent('https://w3id.org/cyber-diplomacy/id/state/XAA')}`,
    );
    expect(xaa.parameters).toEqual({ state: 'https://w3id.org/cyber-diplomacy/id/state/XAA' });
    expect(
      flatRows(xaa, 'state-profile').map((p) => [p.facet, p.item, p.other ?? '', p.sources]),
    ).toEqual([
      [
        'Attribution received',
        '~id/incident/test-blackout-2019',
        '~id/state/XAB',
        '~id/source/test-source-1',
      ],
      ['GGE membership', '~id/process/test-gge', '', '~id/source/test-source-1'],
      ['National position in the compendium', '~id/document/A-76-136', '', '~id/document/A-76-136'],
      ['Supports', '~id/initiative/paris-call', '', '~id/source/test-source-1'],
    ]);
  });

  it('document cross-reference: linker mentions and UN links, ranked by overlap', () => {
    const r = reports.get('document-crossref')!;
    const overlap = flatRows(r, 'document-overlap').map((o) => [
      o.document,
      o.other,
      o.shared,
      o.sharedEntities,
    ]);
    expect(overlap).toEqual([
      ['~id/document/TEST-1', '~id/document/TEST-2', '1', '~id/norm/test-a'],
      ['~id/document/TEST-1', '~id/source/test-linked-text', '1', '~id/norm/test-b'],
      ['~id/document/TEST-2', '~id/document/TEST-1', '1', '~id/norm/test-a'],
      ['~id/source/test-linked-text', '~id/document/TEST-1', '1', '~id/norm/test-b'],
    ]);
    const mentions = flatRows(r, 'document-mentions').filter(
      (m) => m.document === '~id/source/test-linked-text',
    );
    expect(mentions).toEqual([
      {
        document: '~id/source/test-linked-text',
        entity: '~id/norm/test-b',
        via: 'linker',
        sources: '~id/source/test-linked-text',
      },
      {
        document: '~id/source/test-linked-text',
        entity: '~id/state/XAA',
        via: 'linker',
        sources: '~id/source/test-linked-text',
      },
    ]);
  });

  it('coverage: unattributed incidents, unbreached norms, states with no position', () => {
    const r = reports.get('coverage')!;
    expect(flatRows(r, 'coverage-unattributed').map((x) => x.incident)).toEqual([
      '~id/incident/test-undated',
    ]);
    expect(flatRows(r, 'coverage-unbreached-norms').map((x) => x.norm)).toEqual([
      '~id/norm/test-b',
      '~id/norm/test-c',
    ]);
    expect(flatRows(r, 'coverage-no-position').map((x) => x.state)).toEqual([
      '~id/state/XAB',
      '~id/state/XAC',
    ]);
  });

  it('numbers sources once per report and gives their titles and URLs', () => {
    const r = reports.get('incidents')!;
    expect(r.sources.map((s) => s.n)).toEqual(r.sources.map((_, i) => i + 1));
    const one = r.sources.find((s) => s.iri.endsWith('/test-source-1'));
    expect(one).toEqual({
      n: one?.n,
      iri: 'https://w3id.org/cyber-diplomacy/id/source/test-source-1',
      label: 'Test source one',
      href: '/id/source/test-source-1',
      url: 'https://example.org/test-source-1',
    });
  });
});

describe('formats', () => {
  it('HTML: labelled local links, footnotes, and the SVG figures', async () => {
    const res = await request(running.server)
      .get('/reports/norms-documents')
      .set('Accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/u);
    expect(res.text).toContain(
      '<a href="/id/norm/test-a" title="https://w3id.org/cyber-diplomacy/id/norm/test-a">T(a) Test norm alpha</a>',
    );
    expect(res.text).toContain(
      '<a href="/id/document/TEST-2" title="https://w3id.org/cyber-diplomacy/id/document/TEST-2">TEST/2</a>',
    );
    expect(res.text).toMatch(/<svg [^>]*role="img"/u);
    expect(res.text).toContain('T(a) Test norm alpha × TEST/1: 3');
    expect(res.text).toMatch(
      /<li id="source-\d+"><a href="\/id\/source\/test-source-2"[^>]*>Test source two<\/a>/u,
    );
    expect(res.text).toMatch(/<sup><a href="#source-\d+">\[\d+\]<\/a><\/sup>/u);
    const incidents = await request(running.server).get('/reports/incidents?format=html');
    expect(incidents.text).toContain('<title>2019-03-01: Test blackout (2019)</title>');
    expect(incidents.text).toContain('<title>Testland Beta: 1</title>');
  });

  it('Markdown: tables with links and footnotes', async () => {
    const res = await request(running.server)
      .get('/reports/coverage')
      .set('Accept', 'text/markdown');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/markdown/u);
    expect(res.text).toContain(
      '| [Test incident with no date](/id/incident/test-undated) |  | [^1] |',
    );
    expect(res.text).toContain(
      '[^1]: [Test source two](/id/source/test-source-2) — <https://example.org/test-source-2>',
    );
    const nd = await request(running.server).get('/reports/norms-documents?format=md');
    expect(nd.text).toContain('| [T(a) Test norm alpha](/id/norm/test-a) | 3 | 2 |');
  });

  it('CSV: RFC 4180, one record shape, IRIs with labels and sources', async () => {
    const res = await request(running.server).get('/reports/incidents').set('Accept', 'text/csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/u);
    expect(res.text).toMatch(/\r\n$/u);
    const records: string[][] = parse(res.text, { relax_column_count: false });
    const [head, ...rows] = records;
    expect(head![0]).toBe('section');
    expect(head).toContain('incident_label');
    expect(head!.at(-1)).toBe('sources');
    const col = (name: string): number => head!.indexOf(name);
    const blackout = rows.find(
      (r) =>
        r[0] === 'incidents-attributions' &&
        r[col('incident')] === 'https://w3id.org/cyber-diplomacy/id/incident/test-blackout-2019',
    )!;
    expect(blackout[col('by_label')]).toBe('Testland Beta');
    expect(blackout[col('sources')]).toBe(
      'https://w3id.org/cyber-diplomacy/id/source/test-source-1',
    );
  });

  it('escapes data in every format', async () => {
    const { csvField, mdText } = await import('../../src/reports/render.js');
    expect(csvField('a "b", c\nd')).toBe('"a ""b"", c\nd"');
    expect(mdText('a | b [c](d) <script>')).toBe('a \\| b \\[c\\](d) \\<script\\>');
  });
});

describe('GET /reports', () => {
  it('lists every report with its formats', async () => {
    const res = await request(running.server).get('/reports');
    expect(res.status).toBe(200);
    for (const name of [
      'norms-documents',
      'sectors',
      'incidents',
      'states',
      'document-crossref',
      'coverage',
    ])
      expect(res.text).toContain(`href="/reports/${name}"`);
    expect(res.text).toContain('href="/reports/states?format=csv"');
  });

  it('negotiates, with ?format= overriding Accept', async () => {
    const res = await request(running.server)
      .get('/reports/coverage?format=json')
      .set('Accept', 'text/html');
    expect(res.headers['content-type']).toMatch(/^application\/json/u);
    expect(res.headers.vary).toMatch(/Accept/u);
    const any = await request(running.server).get('/reports/coverage').set('Accept', '*/*');
    expect(any.headers['content-type']).toMatch(/^text\/html/u);
    const none = await request(running.server).get('/reports/coverage').set('Accept', 'image/png');
    expect(none.status).toBe(406);
  });

  it('404 for an unknown report, 400 for bad parameters and formats', async () => {
    expect((await request(running.server).get('/reports/nope')).status).toBe(404);
    const bad = await request(running.server).get(
      `/reports/states?state=${encodeURIComponent('>} ; DROP')}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/not an absolute IRI/u);
    expect(
      (await request(running.server).get('/reports/incidents?since=2019%22%20%7D')).status,
    ).toBe(400);
    expect((await request(running.server).get('/reports/coverage?evil=1')).status).toBe(400);
    expect((await request(running.server).get('/reports/coverage?format=pdf')).status).toBe(400);
  });
});

describe('cdg report', () => {
  const TSX = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');
  const cdg = (args: string[]) =>
    spawnSync(process.execPath, [TSX, MAIN, 'report', '--data', REPORT_FIXTURE, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('--list, one report with --param, and --all --out DIR with progress', () => {
    const list = cdg(['--list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      /^states\tStates\t\[state \(iri, default https:\/\/w3id\.org\/cyber-diplomacy\/id\/state\/FRA\)\]$/mu,
    );

    const one = cdg([
      'states',
      '--param',
      'state=https://w3id.org/cyber-diplomacy/id/state/XAA',
      '--format',
      'csv',
    ]);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toContain('state-profile,https://w3id.org/cyber-diplomacy/id/state/XAA');

    const bad = cdg(['states', '--param', 'state=>} ; DROP']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not an absolute IRI/u);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'cdg-reports-'));
    const all = cdg(['--all', '--out', dir]);
    expect(all.status, all.stderr).toBe(0);
    const files = readdirSync(dir);
    for (const name of ['norms-documents', 'coverage', 'states'])
      for (const ext of ['md', 'html', 'csv', 'json']) expect(files).toContain(`${name}.${ext}`);
    expect(all.stderr).toMatch(/\[1\/\d+\] /u);
    const standalone = readFileSync(path.join(dir, 'norms-documents.html'), 'utf8');
    expect(standalone).not.toContain('/assets/');
    expect(standalone).toContain('<svg');
  });
});
