import { describe, expect, it } from 'vitest';
import { inspectQuery, withDataset } from '../../../src/sparql/inspect.js';
import { tokenize } from '../../../src/sparql/lexer.js';

describe('tokenize', () => {
  it('keeps keywords inside strings, IRIs and comments out of the syntax', () => {
    const texts = tokenize('SELECT * # SERVICE <x>\nWHERE { ?s <http://a/SERVICE> "INSERT" }').map(
      (t) => t.text,
    );
    expect(texts).toEqual([
      'SELECT',
      '*',
      'WHERE',
      '{',
      '?s',
      '<http://a/SERVICE>',
      '"INSERT"',
      '}',
    ]);
  });

  it('tells a less-than operator from an IRI', () => {
    const tokens = tokenize('FILTER(?a < ?b)');
    expect(tokens.map((t) => t.type)).toEqual(['word', 'punct', 'var', 'punct', 'var', 'punct']);
  });
});

describe('inspectQuery', () => {
  it('reads the form after the prologue', () => {
    expect(inspectQuery('PREFIX ex: <http://e/> BASE <http://b/> ASK { ?s ?p ?o }').form).toBe(
      'ASK',
    );
    expect(inspectQuery('construct where { ?s ?p ?o }').form).toBe('CONSTRUCT');
    expect(inspectQuery('DESCRIBE <http://e/x>').form).toBe('DESCRIBE');
  });

  it('recognises SPARQL Update requests', () => {
    expect(inspectQuery('INSERT DATA { <a:b> <a:c> <a:d> }').form).toBe('UPDATE');
    expect(inspectQuery('PREFIX ex: <http://e/>\nLOAD <http://example.org/x>').form).toBe('UPDATE');
    expect(inspectQuery('WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }').form).toBe(
      'UPDATE',
    );
  });

  it('resolves SERVICE targets written as IRIs, prefixed names and relative IRIs', () => {
    const info = inspectQuery(
      'BASE <http://base.example/> PREFIX w: <https://query.wikidata.org/> SELECT * { SERVICE w:sparql { ?a ?b ?c } SERVICE SILENT <rel> { ?d ?e ?f } SERVICE ?x { } }',
    );
    expect(info.services).toEqual([
      'https://query.wikidata.org/sparql',
      'http://base.example/rel',
      undefined,
    ]);
  });

  it('notices a query that states its own dataset', () => {
    expect(inspectQuery('SELECT * FROM <http://g> { ?s ?p ?o }').hasDataset).toBe(true);
    expect(inspectQuery('SELECT * { ?s ?p "FROM" }').hasDataset).toBe(false);
  });
});

describe('withDataset', () => {
  it("inserts FROM clauses before WHERE and replaces the query's own", () => {
    const q = withDataset(
      'SELECT ?s FROM <http://old> FROM NAMED <http://oldn> WHERE { ?s ?p ?o }',
      ['http://d'],
      ['http://n'],
    );
    expect(q).toBe('SELECT ?s   FROM <http://d> FROM NAMED <http://n> WHERE { ?s ?p ?o }');
  });

  it('skips a CONSTRUCT template and handles ASK without WHERE', () => {
    expect(withDataset('CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }', ['http://d'], [])).toBe(
      'CONSTRUCT { ?s ?p ?o } FROM <http://d> WHERE { ?s ?p ?o }',
    );
    expect(withDataset('ASK { ?s ?p ?o }', ['http://d'], [])).toBe(
      'ASK FROM <http://d> { ?s ?p ?o }',
    );
  });

  it('states an empty default graph when only named graphs are given', () => {
    expect(withDataset('SELECT * { ?s ?p ?o }', [], ['http://n'])).toContain(
      'FROM <urn:x-cdg:empty-default-graph> FROM NAMED <http://n>',
    );
  });
});
