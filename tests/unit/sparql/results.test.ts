import { describe, expect, it } from 'vitest';
import oxigraph from 'oxigraph';
import {
  capCanonicalJson,
  capTriples,
  serializeSolutions,
  toCsv,
  toTsv,
  toXml,
  type JsonResults,
} from '../../../src/sparql/results.js';

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const results: JsonResults = {
  head: { vars: ['s', 'o'] },
  results: {
    bindings: [
      {
        s: { type: 'uri', value: 'http://e/a' },
        o: { type: 'literal', value: 'say "hi", <b>\n', 'xml:lang': 'en' },
      },
      {
        s: { type: 'bnode', value: 'b1' },
        o: { type: 'literal', value: '42', datatype: `${XSD}integer` },
      },
      { s: { type: 'uri', value: 'http://e/c' } },
    ],
  },
};

describe('toCsv', () => {
  it('writes values plainly, quoting fields that need it, with CRLF line ends', () => {
    expect(toCsv(results)).toBe(
      's,o\r\nhttp://e/a,"say ""hi"", <b>\n"\r\n_:b1,42\r\nhttp://e/c,\r\n',
    );
  });
});

describe('toTsv', () => {
  it('writes terms in Turtle syntax with escapes, numbers bare', () => {
    expect(toTsv(results)).toBe(
      '?s\t?o\n<http://e/a>\t"say \\"hi\\", <b>\\n"@en\n_:b1\t42\n<http://e/c>\t\n',
    );
  });
});

describe('toXml', () => {
  it('escapes markup and keeps language and datatype', () => {
    const xml = toXml(results);
    expect(xml).toContain('<literal xml:lang="en">say &quot;hi&quot;, &lt;b&gt;\n</literal>');
    expect(xml).toContain(`<literal datatype="${XSD}integer">42</literal>`);
    expect(xml).toContain('<bnode>b1</bnode>');
    expect(toXml({ head: {}, boolean: true })).toContain('<boolean>true</boolean>');
  });
});

describe('serializeSolutions', () => {
  it('cuts results at the row cap and says so', () => {
    const out = serializeSolutions(
      JSON.stringify(results),
      'application/sparql-results+json',
      2,
      true,
    );
    expect(out.truncated).toBe(true);
    expect((JSON.parse(out.body) as JsonResults).results?.bindings).toHaveLength(2);
  });

  it('passes short trusted JSON through untouched', () => {
    const json = JSON.stringify(results);
    expect(serializeSolutions(json, 'application/sparql-results+json', 1000, true).body).toBe(json);
  });

  it('drops fields an engine adds beyond the standard', () => {
    const out = serializeSolutions(
      '{"head":{"vars":[]},"results":{"bindings":[]},"metadata":{"x":1}}',
      'application/sparql-results+json',
      10,
      false,
    );
    expect(out.body).toBe('{"head":{"vars":[]},"results":{"bindings":[]}}');
  });
});

describe('capCanonicalJson', () => {
  const tricky: JsonResults = {
    head: { vars: ['s', 'o'] },
    results: {
      bindings: [
        { s: { type: 'uri', value: 'http://e/{a}' }, o: { type: 'literal', value: '}]{["\\' } },
        { o: { type: 'literal', value: 'ends with a backslash \\', 'xml:lang': 'en' } },
        { s: { type: 'bnode', value: 'b1' }, o: { type: 'literal', value: '"},{"' } },
        {},
      ],
    },
  };

  it('counts rows whose values hold braces, brackets, quotes and backslashes', () => {
    const json = JSON.stringify(tricky);
    expect(capCanonicalJson(json, 10)).toEqual({ body: json, rows: 4, truncated: false });
    expect(capCanonicalJson(json, 4)).toEqual({ body: json, rows: 4, truncated: false });
  });

  it('cuts at the cap exactly as parsing, slicing and writing the results again would', () => {
    const json = JSON.stringify(tricky);
    for (const cap of [0, 1, 2, 3]) {
      const cut = { ...tricky, results: { bindings: tricky.results!.bindings.slice(0, cap) } };
      expect(capCanonicalJson(json, cap)).toEqual({
        body: JSON.stringify(cut),
        rows: cap,
        truncated: true,
      });
    }
  });

  it('counts an ASK answer as one row', () => {
    expect(capCanonicalJson('{"head":{},"boolean":false}', 0)).toEqual({
      body: '{"head":{},"boolean":false}',
      rows: 1,
      truncated: false,
    });
  });

  it("takes Oxigraph's results as they are, and they are what JSON.stringify writes", () => {
    const store = new oxigraph.Store();
    store.load(
      '<urn:a> <urn:p> "quote\\" and \\\\ { } [ ] \\u0001 \\t é 😀 \\u2028 </script>" .\n' +
        '<urn:a> <urn:p> "x"@en-GB .\n_:b <urn:p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
      { format: 'application/n-triples' },
    );
    const json = store.query('SELECT * WHERE { ?s ?p ?o } ORDER BY ?o', {
      results_format: 'application/sparql-results+json',
    }) as unknown as string;
    expect(JSON.stringify(JSON.parse(json))).toBe(json);
    expect(capCanonicalJson(json, 5)).toEqual({ body: json, rows: 3, truncated: false });
    const two = capCanonicalJson(json, 2);
    expect(two.truncated).toBe(true);
    expect((JSON.parse(two.body) as JsonResults).results?.bindings).toEqual(
      (JSON.parse(json) as JsonResults).results?.bindings.slice(0, 2),
    );
  });
});

describe('capTriples', () => {
  it('keeps whole lines up to the cap', () => {
    const nt = '<a:1> <a:p> <a:o> .\n<a:2> <a:p> <a:o> .\n<a:3> <a:p> <a:o> .\n';
    expect(capTriples(nt, 2)).toEqual({
      body: '<a:1> <a:p> <a:o> .\n<a:2> <a:p> <a:o> .\n',
      rows: 2,
      truncated: true,
    });
    expect(capTriples(nt, 3)).toEqual({ body: nt, rows: 3, truncated: false });
  });
});
