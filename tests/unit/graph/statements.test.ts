import oxigraph from 'oxigraph';
import { describe, expect, it } from 'vitest';
import { findDataSources } from '../../../src/graph/files.js';
import { loadDataset } from '../../../src/graph/load.js';
import {
  mergeStatements,
  parseStatements,
  readStatements,
  serializeClaimed,
  serializeStatements,
  statementsQuery,
} from '../../../src/graph/statements.js';
import { freeStore } from '../../../src/graph/oxigraphUtil.js';
import { RDF_TYPE, RDFS } from '../../../src/vocab.js';
import { MINI } from '../../util/server.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';

describe('readStatements', () => {
  it('lists what store.match lists for each predicate, in the same order', async () => {
    const { store } = await loadDataset(await findDataSources([MINI], BASE));
    try {
      const predicates = [RDF_TYPE, `${RDFS}label`, 'http://example.org/none'];
      const graph = readStatements(store, predicates);
      for (const p of predicates) {
        const expected = store.match(null, oxigraph.namedNode(p), null, null).map((q) => ({
          subject: [q.subject.termType, q.subject.value],
          object: [
            q.object.termType,
            q.object.value,
            q.object.termType === 'Literal' ? q.object.language : '',
          ],
        }));
        const actual = graph.statements(p).map((q) => ({
          subject: [q.subject.termType, q.subject.value],
          object: [q.object.termType, q.object.value, q.object.language],
        }));
        expect(actual).toEqual(expected);
      }
      expect(graph.statements(RDF_TYPE).length).toBeGreaterThan(0);
      expect(graph.quadCount).toBe(store.size);
      expect(graph.predicates).toContain(RDF_TYPE);
      expect([...graph.predicates]).toEqual([...graph.predicates].sort());
    } finally {
      freeStore(store);
    }
  });

  it('keeps a triple stated in two graphs twice, and every kind of term as store.match has it', () => {
    const store = new oxigraph.Store();
    try {
      store.load(
        [
          '<http://e/a> <http://e/p> "x"@en <http://e/g1> .',
          '<http://e/a> <http://e/p> "x"@en <http://e/g2> .',
          '_:b <http://e/p> <http://e/c> .',
          '<http://e/a> <http://e/p> "tab\\there \\"quoted\\" back\\\\slash\\nnew line \\r é 😀 \\u0001"@en-GB .',
          '<http://e/a> <http://e/p> "ends in a quote\\"" .',
          '<http://e/a> <http://e/p> "" .',
          '<http://e/a> <http://e/p> "12"^^<http://www.w3.org/2001/XMLSchema#integer> .',
          '<http://e/a> <http://e/p> "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
          '<http://e/a> <http://e/p> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .',
          '<http://e/a> <http://e/p> "2021-05"^^<http://www.w3.org/2001/XMLSchema#gYearMonth> .',
          '<http://e/a%20b?q=1#f> <http://e/p> <http://e/ü> .',
        ].join('\n'),
        { format: 'application/n-quads' },
      );
      const p = oxigraph.namedNode('http://e/p');
      const expected = store
        .match(null, p, null, null)
        .map((q) => [
          q.subject.termType,
          q.subject.value,
          q.object.termType,
          q.object.value,
          q.object.termType === 'Literal' ? q.object.language : '',
        ]);
      const rows = readStatements(store, ['http://e/p']).statements('http://e/p');
      expect(
        rows.map((r) => [
          r.subject.termType,
          r.subject.value,
          r.object.termType,
          r.object.value,
          r.object.language,
        ]),
      ).toEqual(expected);
      expect(rows.filter((r) => r.object.value === 'x')).toHaveLength(2);
      expect(rows.some((r) => r.object.value.includes('\t') && r.object.language === 'en-gb')).toBe(
        true,
      );
    } finally {
      freeStore(store);
    }
  });

  it('survives being posted as text (what a worker thread sends)', async () => {
    const { store } = await loadDataset(await findDataSources([MINI], BASE));
    try {
      const serialized = serializeStatements(store, [RDF_TYPE]);
      const copy = structuredClone(serialized);
      expect(parseStatements(copy).statements(RDF_TYPE)).toEqual(
        readStatements(store, [RDF_TYPE]).statements(RDF_TYPE),
      );
    } finally {
      freeStore(store);
    }
  });
});

describe('serializeClaimed', () => {
  it('shares the reading among stores through one counter, and together they read it all', async () => {
    const sources = await findDataSources([MINI], BASE);
    const [a, b] = [(await loadDataset(sources)).store, (await loadDataset(sources)).store];
    try {
      const items = ['', RDF_TYPE, `${RDFS}label`, 'http://example.org/none'];
      const next = new Int32Array(new SharedArrayBuffer(4));
      // Each claims one item at a time; here they take turns.
      Atomics.store(next, 0, 2);
      const first = serializeClaimed(
        a,
        items.slice(0, 2),
        new Int32Array(new SharedArrayBuffer(4)),
        a.size,
      );
      const rest = serializeClaimed(b, items, next, b.size);
      const merged = parseStatements(mergeStatements([first, rest]));
      const whole = readStatements(a, items.slice(1));
      for (const p of items.slice(1)) expect(merged.statements(p)).toEqual(whole.statements(p));
      expect(merged.predicates).toEqual(whole.predicates);
      expect(merged.quadCount).toBe(whole.quadCount);
      expect(Atomics.load(next, 0)).toBeGreaterThanOrEqual(items.length);
      expect(Object.keys(rest.byPredicate).sort()).toEqual(items.slice(2).sort());
    } finally {
      freeStore(a);
      freeStore(b);
    }
  });
});

describe('statementsQuery', () => {
  it('refuses a predicate that is not an IRI', () => {
    expect(() => statementsQuery('http://e/p> . ?s ?p <x')).toThrow(/Not an IRI/);
  });
});
