import oxigraph from 'oxigraph';
import { describe, expect, it } from 'vitest';
import {
  diffAsRdfPatch,
  diffTriples,
  formatDiff,
  parseVersionRecord,
  triplesByGraph,
  versionRecordQuery,
  versionRecordTriples,
  type VersionRecord,
} from '../../../src/graph/versions.js';

const G1 = 'http://example.org/g1';
const G2 = 'http://example.org/g2';

describe('triplesByGraph', () => {
  it('puts literals in canonical form and blank nodes under canonical labels', async () => {
    const a = await triplesByGraph(
      `<http://ex/s> <http://ex/n> "01"^^<http://www.w3.org/2001/XMLSchema#integer> <${G1}> .\n` +
        `<http://ex/s> <http://ex/b> _:x <${G1}> .\n_:x <http://ex/v> "1" <${G1}> .\n`,
    );
    const b = await triplesByGraph(
      `_:other <http://ex/v> "1" <${G1}> .\n<http://ex/s> <http://ex/b> _:other <${G1}> .\n` +
        `<http://ex/s> <http://ex/n> "1"^^<http://www.w3.org/2001/XMLSchema#integer> <${G1}> .\n`,
    );
    expect(diffTriples(a, b)).toEqual([]);
    expect([...(a.get(G1) ?? [])]).toContain(
      '<http://ex/s> <http://ex/n> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    );
  });
});

describe('diffTriples', () => {
  it('lists triples added and removed per graph, and leaves unchanged graphs out', async () => {
    const before = await triplesByGraph(
      `<http://ex/a> <http://ex/p> "old" <${G1}> .\n<http://ex/k> <http://ex/p> "same" <${G2}> .\n`,
    );
    const after = await triplesByGraph(
      `<http://ex/a> <http://ex/p> "new" <${G1}> .\n<http://ex/k> <http://ex/p> "same" <${G2}> .\n`,
    );
    const diffs = diffTriples(before, after);
    expect(diffs).toEqual([
      {
        graph: G1,
        added: ['<http://ex/a> <http://ex/p> "new" .'],
        removed: ['<http://ex/a> <http://ex/p> "old" .'],
      },
    ]);
    expect(formatDiff(diffs)).toContain(`+1 −1  <${G1}>`);
    expect(formatDiff(diffs)).toContain('- <http://ex/a> <http://ex/p> "old" .');
    expect(formatDiff(diffs, true)).not.toContain('"old"');
    expect(formatDiff([])).toBe('No differences.\n');
    expect(diffAsRdfPatch(diffs)).toBe(
      `TX .\nD <http://ex/a> <http://ex/p> "old" <${G1}> .\nA <http://ex/a> <http://ex/p> "new" <${G1}> .\nTC .\n`,
    );
  });
});

describe('version records', () => {
  const record: VersionRecord = {
    version: '0123456789abcdef',
    loadedAt: '2026-01-02T03:04:05.000Z',
    sourceCommit: 'abc123',
    quads: 42,
    graphs: [
      {
        graph: G1,
        file: 'data/x.ttl',
        format: 'text/turtle',
        namedGraphs: [G2],
        quads: 42,
        bytes: 100,
        sha256: 'ff',
      },
    ],
    store: 'http://127.0.0.1:8890/sparql',
  };

  it('are written as RDF that reads back exactly through the record query', () => {
    const base = 'https://w3id.org/cyber-diplomacy/';
    const store = new oxigraph.Store();
    store.load(versionRecordTriples(record, base), {
      format: 'application/n-triples',
      to_graph_name: oxigraph.namedNode(`${base}meta/versions`),
    });
    const rows = store.query(versionRecordQuery(base)) as Array<Map<string, oxigraph.Term>>;
    expect(rows).toHaveLength(1);
    expect(parseVersionRecord(rows[0]!.get('json')!.value)).toEqual(record);
    const created = store.query(
      `ASK { GRAPH ?g { <${base}version/${record.version}> <http://purl.org/dc/terms/created> "2026-01-02T03:04:05.000Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> } }`,
    );
    expect(created).toBe(true);
  });

  it('are not made up from anything else', () => {
    expect(parseVersionRecord('{"graphs": []}')).toBeUndefined();
    expect(parseVersionRecord('not json')).toBeUndefined();
  });
});
