import { describe, expect, it } from 'vitest';
import { isHttpError } from '../../../src/errors.js';
import {
  assertPercentEncoded,
  assertUtf8,
  parseProtocolRequest,
  verifyUtf8Body,
  type ProtocolInput,
} from '../../../src/sparql/protocol.js';

const base: ProtocolInput = {
  method: 'GET',
  search: '',
  contentType: undefined,
  accept: undefined,
  body: undefined,
};
const opts = { serviceAllowlist: [] as string[] };

function statusOf(input: Partial<ProtocolInput>, options = opts): number {
  try {
    parseProtocolRequest({ ...base, ...input }, options);
  } catch (error) {
    if (isHttpError(error)) return error.statusCode;
    throw error;
  }
  return 200;
}

describe('parseProtocolRequest', () => {
  it('describes the service on GET without a query', () => {
    expect(parseProtocolRequest(base, opts)).toEqual({ kind: 'describe-service' });
  });

  it('reads GET query, repeated dataset parameters and format=', () => {
    const action = parseProtocolRequest(
      {
        ...base,
        search:
          'query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D&default-graph-uri=http%3A%2F%2Fa&default-graph-uri=http%3A%2F%2Fb&named-graph-uri=http%3A%2F%2Fc&format=csv',
      },
      opts,
    );
    expect(action.kind === 'query' && action.request).toMatchObject({
      form: 'SELECT',
      mediaType: 'text/csv',
      defaultGraphs: ['http://a', 'http://b'],
      namedGraphs: ['http://c'],
    });
  });

  it('reads POST bodies of both kinds', () => {
    const form = parseProtocolRequest(
      {
        ...base,
        method: 'POST',
        contentType: 'application/x-www-form-urlencoded',
        body: 'query=ASK%7B%7D',
      },
      opts,
    );
    expect(form.kind === 'query' && form.request.form).toBe('ASK');
    const direct = parseProtocolRequest(
      {
        ...base,
        method: 'POST',
        contentType: 'application/sparql-query; charset=utf-8',
        body: 'CONSTRUCT WHERE { ?s ?p ?o }',
        accept: 'application/n-triples',
      },
      opts,
    );
    expect(direct.kind === 'query' && direct.request.mediaType).toBe('application/n-triples');
  });

  it('answers with the status the protocol prescribes', () => {
    expect(statusOf({ method: 'PUT' })).toBe(405);
    expect(statusOf({ method: 'POST', contentType: 'text/plain', body: 'SELECT * {}' })).toBe(415);
    expect(
      statusOf({ method: 'POST', contentType: 'application/sparql-update', body: 'CLEAR ALL' }),
    ).toBe(403);
    expect(
      statusOf({
        method: 'POST',
        contentType: 'application/x-www-form-urlencoded',
        body: 'update=CLEAR%20ALL',
      }),
    ).toBe(403);
    expect(statusOf({ search: 'query=DROP%20ALL' })).toBe(403);
    expect(statusOf({ method: 'POST', contentType: 'application/sparql-query', body: '  ' })).toBe(
      400,
    );
    expect(statusOf({ search: 'query=SELECT%20*%7B%7D&query=ASK%7B%7D' })).toBe(400);
    expect(statusOf({ search: 'query=SELECT%20*%7B%7D', accept: 'image/png' })).toBe(406);
    expect(statusOf({ search: 'query=SELECT%20*%7B%7D&format=ttl' })).toBe(406);
    expect(statusOf({ search: 'query=SELECT%20*%7B%7D&default-graph-uri=not%20an%20iri' })).toBe(
      400,
    );
  });

  it('hands updates sent by POST to the writer when writes are on', () => {
    const writes = { serviceAllowlist: [], writes: true };
    const update = 'INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 1 } }';
    expect(
      parseProtocolRequest(
        { ...base, method: 'POST', contentType: 'application/sparql-update', body: update },
        writes,
      ),
    ).toEqual({ kind: 'update', update });
    expect(
      parseProtocolRequest(
        {
          ...base,
          method: 'POST',
          contentType: 'application/x-www-form-urlencoded',
          body: `update=${encodeURIComponent(update)}`,
        },
        writes,
      ),
    ).toEqual({ kind: 'update', update });
    // Updates only by POST, never as a query, and the dataset goes in the update itself.
    expect(statusOf({ search: `update=${encodeURIComponent(update)}` }, writes)).toBe(400);
    expect(statusOf({ search: `query=${encodeURIComponent(update)}` }, writes)).toBe(400);
    expect(
      statusOf(
        {
          method: 'POST',
          search: 'using-graph-uri=urn%3Ag',
          contentType: 'application/sparql-update',
          body: update,
        },
        writes,
      ),
    ).toBe(400);
    expect(
      statusOf({ method: 'POST', contentType: 'application/sparql-update', body: ' ' }, writes),
    ).toBe(400);
  });

  it('refuses SERVICE off the allowlist and lets allowlisted endpoints through', () => {
    const q =
      'query=' +
      encodeURIComponent('SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }');
    expect(statusOf({ search: q })).toBe(403);
    expect(statusOf({ search: q }, { serviceAllowlist: ['http://127.0.0.1:9/sparql'] })).toBe(200);
    expect(
      statusOf({ search: 'query=' + encodeURIComponent('SELECT * { SERVICE ?x { ?s ?p ?o } }') }),
    ).toBe(403);
  });
});

describe('hostile encodings', () => {
  it('refuses malformed percent-escapes and escaped bytes that are not UTF-8', () => {
    expect(statusOf({ search: 'query=ASK%7B%FF%7D' })).toBe(400);
    const form = { method: 'POST', contentType: 'application/x-www-form-urlencoded' };
    expect(statusOf({ ...form, body: 'query=ASK%7B%G1%7D' })).toBe(400);
    expect(statusOf({ ...form, body: 'query=ASK%' })).toBe(400);
    // Raw spaces and UTF-8 in a form body are tolerated (curl --data sends them as they are).
    expect(statusOf({ ...form, body: 'query=ASK { FILTER("é" != "") }' })).toBe(200);
  });

  it('checks URLs strictly: escapes well-formed, nothing outside printable ASCII', () => {
    expect(() => assertPercentEncoded('/search?q=%E2%82%AC', 'The URL')).not.toThrow();
    expect(() => assertPercentEncoded('/search?q=%E2%82', 'The URL')).toThrow(/UTF-8/);
    expect(() => assertPercentEncoded('/search?q=é', 'The URL')).toThrow(/must be percent-encoded/);
    expect(() => assertPercentEncoded('/a\u0000b', 'The URL')).toThrow(/must be percent-encoded/);
  });

  it('tells UTF-8 bodies from others, for the charsets that claim UTF-8', () => {
    const bad = Buffer.from([0x41, 0xff]);
    expect(() => assertUtf8(Buffer.from('Grüße'), 'x')).not.toThrow();
    expect(() => assertUtf8(bad, 'The body')).toThrow(/The body is not valid UTF-8/);
    expect(() => verifyUtf8Body({}, {}, bad, 'utf-8')).toThrow();
    expect(() => verifyUtf8Body({}, {}, bad, undefined)).toThrow();
    expect(() => verifyUtf8Body({}, {}, bad, 'latin1')).not.toThrow();
  });

  it('refuses queries nested or chained beyond the shape limits with 400', () => {
    const q = (query: string): string => `query=${encodeURIComponent(query)}`;
    // The outer group counts: 1 + 99 levels is the most accepted.
    expect(statusOf({ search: q(`ASK { ${'{'.repeat(100)}${'}'.repeat(100)} }`) })).toBe(400);
    expect(statusOf({ search: q(`ASK { ${'{'.repeat(99)}${'}'.repeat(99)} }`) })).toBe(200);
    expect(statusOf({ search: q(`ASK { ${'FILTER(true) '.repeat(401)} }`) })).toBe(400);
    expect(statusOf({ search: q(`ASK { FILTER(${'!'.repeat(1001)}true) }`) })).toBe(400);
  });
});
