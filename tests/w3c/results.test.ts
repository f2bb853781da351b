/**
 * The conformance harness's own result comparison: blank nodes up to isomorphism, multisets,
 * ORDER BY with ties, REDUCED, literals by value, and the result formats it reads.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalLexical,
  compareResults,
  parseCsvResults,
  parseJsonResults,
  parseTsvResults,
  parseXmlResults,
  type CompareOptions,
  type Results,
} from './results.js';

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const UNORDERED: CompareOptions = { order: undefined, lax: false };

function json(vars: string[], rows: Array<Record<string, unknown>>): Results {
  return parseJsonResults(JSON.stringify({ head: { vars }, results: { bindings: rows } }));
}
const iri = (value: string): unknown => ({ type: 'uri', value: `http://example/${value}` });
const bnode = (value: string): unknown => ({ type: 'bnode', value });
const int = (value: string): unknown => ({ type: 'literal', value, datatype: `${XSD}integer` });

describe('compareResults', () => {
  it('matches solutions up to blank-node relabelling, keeping co-references', () => {
    const expected = json(
      ['s', 'o'],
      [
        { s: bnode('a'), o: bnode('a') },
        { s: bnode('b'), o: iri('x') },
      ],
    );
    const same = json(
      ['o', 's'],
      [
        { s: bnode('q'), o: iri('x') },
        { s: bnode('p'), o: bnode('p') },
      ],
    );
    const broken = json(
      ['s', 'o'],
      [
        { s: bnode('p'), o: bnode('r') },
        { s: bnode('q'), o: iri('x') },
      ],
    );
    expect(compareResults(expected, same, UNORDERED).ok).toBe(true);
    expect(compareResults(expected, broken, UNORDERED).ok).toBe(false);
  });

  it('counts duplicates, unless the test allows REDUCED to keep or drop them', () => {
    const once = json(['x'], [{ x: iri('a') }, { x: iri('b') }]);
    const twice = json(['x'], [{ x: iri('a') }, { x: iri('a') }, { x: iri('b') }]);
    expect(compareResults(twice, once, UNORDERED).ok).toBe(false);
    expect(compareResults(twice, once, { order: undefined, lax: true }).ok).toBe(true);
  });

  it('checks the projected variables and empty solutions', () => {
    expect(compareResults(json(['x'], [{}]), json(['y'], [{}]), UNORDERED).ok).toBe(false);
    expect(compareResults(json(['x'], [{}]), json(['x'], []), UNORDERED).ok).toBe(false);
    expect(compareResults(json(['x'], [{}, {}]), json(['x'], [{}, {}]), UNORDERED).ok).toBe(true);
  });

  it('checks ORDER BY order but lets solutions with equal keys come in any order', () => {
    const expected = json(
      ['k', 'v'],
      [
        { k: int('1'), v: iri('a') },
        { k: int('1'), v: iri('b') },
        { k: int('2'), v: iri('c') },
      ],
    );
    const tiesSwapped = json(
      ['k', 'v'],
      [
        { k: int('1'), v: iri('b') },
        { k: int('1'), v: iri('a') },
        { k: int('2'), v: iri('c') },
      ],
    );
    const wrong = json(
      ['k', 'v'],
      [
        { k: int('2'), v: iri('c') },
        { k: int('1'), v: iri('a') },
        { k: int('1'), v: iri('b') },
      ],
    );
    const byK: CompareOptions = { order: ['k'], lax: false };
    expect(compareResults(expected, tiesSwapped, byK).ok).toBe(true);
    expect(compareResults(expected, wrong, byK).ok).toBe(false);
    expect(compareResults(expected, wrong, UNORDERED).ok).toBe(true);
    expect(compareResults(expected, tiesSwapped, { order: 'position', lax: false }).ok).toBe(false);
  });

  it('compares literals of known types by value, or by lexical form on request', () => {
    const a = json(['n'], [{ n: int('01') }]);
    const b = json(['n'], [{ n: int('1') }]);
    expect(compareResults(a, b, UNORDERED).ok).toBe(true);
    expect(compareResults(a, b, { ...UNORDERED, lexical: true }).ok).toBe(false);
    const string1 = json(['n'], [{ n: { type: 'literal', value: '1' } }]);
    expect(compareResults(string1, b, UNORDERED).ok).toBe(false);
  });

  it('compares booleans', () => {
    const yes = parseJsonResults('{"head":{},"boolean":true}');
    const no = parseJsonResults('{"head":{},"boolean":false}');
    expect(compareResults(yes, yes, UNORDERED).ok).toBe(true);
    expect(compareResults(yes, no, UNORDERED).ok).toBe(false);
  });
});

describe('canonicalLexical', () => {
  it('canonicalizes numbers, booleans and time zones, and leaves the rest', () => {
    expect(canonicalLexical('+01', `${XSD}integer`)).toBe('1');
    expect(canonicalLexical('01.50', `${XSD}decimal`)).toBe('1.5');
    expect(canonicalLexical('2.', `${XSD}decimal`)).toBe('2.0');
    expect(canonicalLexical('1.0E6', `${XSD}double`)).toBe(
      canonicalLexical('1000000', `${XSD}double`),
    );
    expect(canonicalLexical('1.3e0', `${XSD}float`)).toBe(canonicalLexical('1.3', `${XSD}float`));
    expect(canonicalLexical('1', `${XSD}boolean`)).toBe('true');
    expect(canonicalLexical('2006-08-23+00:00', `${XSD}date`)).toBe('2006-08-23Z');
    expect(canonicalLexical('xyz', `${XSD}integer`)).toBe('xyz');
    expect(canonicalLexical('01', `${XSD}string`)).toBe('01');
  });
});

describe('result formats', () => {
  it('reads TSV terms, keeping blank-node labels across rows', () => {
    const tsv = parseTsvResults('?s\t?o\n_:b0\t"x"@en\n_:b0\t1.5\n');
    expect(tsv.type).toBe('solutions');
    if (tsv.type !== 'solutions') return;
    expect(tsv.variables).toEqual(['s', 'o']);
    expect(tsv.solutions[0]?.get('s')?.equals(tsv.solutions[1]?.get('s'))).toBe(true);
    expect(tsv.solutions[1]?.get('o')).toMatchObject({
      value: '1.5',
      datatype: { value: `${XSD}decimal` },
    });
  });

  it('reads CSV with quoting, empty fields as unbound, and the ASK convention', () => {
    const csv = parseCsvResults('a,b\r\n"x,""y""",\r\n');
    if (csv.type !== 'solutions') throw new Error('expected solutions');
    expect(csv.solutions[0]?.get('a')?.value).toBe('x,"y"');
    expect(csv.solutions[0]?.has('b')).toBe(false);
    expect(parseCsvResults('_askResult\r\ntrue\r\n')).toEqual({ type: 'boolean', value: true });
  });

  it('reads SPARQL XML results', async () => {
    const xml = await parseXmlResults(
      '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="x"/></head>' +
        '<results><result><binding name="x"><literal xml:lang="EN">a</literal></binding></result></results></sparql>',
    );
    const expected = json(['x'], [{ x: { type: 'literal', value: 'a', 'xml:lang': 'en' } }]);
    expect(compareResults(expected, xml, UNORDERED).ok).toBe(true);
  });
});
