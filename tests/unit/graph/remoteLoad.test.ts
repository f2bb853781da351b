import oxigraph from 'oxigraph';
import { describe, expect, it } from 'vitest';
import { insertDataUpdate, makeBatches } from '../../../src/graph/remoteLoad.js';

function storeOf(nquads: string): oxigraph.Store {
  const store = new oxigraph.Store();
  store.load(nquads, { format: 'application/n-quads' });
  return store;
}

describe('makeBatches', () => {
  const lines: string[] = [];
  for (let i = 0; i < 25; i++)
    lines.push(`<http://ex/s${i}> <http://ex/p> "${i}" <http://ex/g${i % 2}> .`);
  // A blank node with three statements, one of them in another graph.
  lines.push('<http://ex/a> <http://ex/has> _:b <http://ex/g0> .');
  lines.push('_:b <http://ex/v> "1" <http://ex/g0> .');
  lines.push('_:b <http://ex/w> "2" <http://ex/g1> .');
  const store = storeOf(`${lines.join('\n')}\n`);

  it('covers every statement once, in batches of about the size asked for', () => {
    const batches = makeBatches(store, 10);
    const all = batches.flatMap((b) => [...b.graphs.values()].flat());
    expect(all).toHaveLength(28);
    expect(new Set(all).size).toBe(28);
    expect(batches.every((b) => b.quads <= 10)).toBe(true);
  });

  it('keeps a blank node with all its statements, and marks one shared by two graphs', () => {
    const batches = makeBatches(store, 2);
    const withBlank = batches.filter((b) =>
      [...b.graphs.values()].flat().some((l) => l.includes('_:')),
    );
    expect(withBlank).toHaveLength(1);
    expect(withBlank[0]!.quads).toBe(3);
    expect(withBlank[0]!.crossGraphBlanks).toBe(true);
  });
});

describe('insertDataUpdate', () => {
  it('writes INSERT DATA, and a template when blank nodes must stay one node', () => {
    const plain = insertDataUpdate({
      graphs: new Map([['http://ex/g', ['<http://ex/a> <http://ex/p> "x" .']]]),
      quads: 1,
    });
    expect(plain).toBe(
      'INSERT DATA {\nGRAPH <http://ex/g> {\n<http://ex/a> <http://ex/p> "x" .\n}\n}',
    );
    const blank = insertDataUpdate({
      graphs: new Map([
        ['http://ex/g', ['<http://ex/a> <http://ex/p> _:b1 .', '_:b1 <http://ex/q> "y" .']],
      ]),
      quads: 2,
    });
    expect(blank).toMatch(/^INSERT \{\nGRAPH <http:\/\/ex\/g> \{[\s\S]*\}\n\} WHERE \{\}$/u);
    // Both forms are valid SPARQL Update: Oxigraph runs them.
    const store = new oxigraph.Store();
    store.update(plain);
    store.update(blank);
    expect(store.size).toBe(3);
    expect(
      store.query('ASK { GRAPH ?g { <http://ex/a> <http://ex/p> ?b . ?b <http://ex/q> "y" } }'),
    ).toBe(true);
  });
});
