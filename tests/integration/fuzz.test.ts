/**
 * Fuzzing the real server over HTTP with generated queries and generated requests (fast-check):
 * whatever arrives, the answer is never a 5xx other than a 503 at a deadline, and the server keeps
 * serving. Bounded by run count, not time, and seeded: a failure prints the seed and the shrunk
 * counterexample; rerun it with FUZZ_SEED=<seed> (FUZZ_RUNS=<n> for a longer run).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { rawRequest } from '../util/raw.js';
import { MINI, startTestServer } from '../util/server.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

/** Runs a property with the seed, and names the seed in the failure. */
async function check<T>(property: fc.IAsyncProperty<T>, runs: number): Promise<void> {
  const details = await fc.check(property, { seed: SEED, numRuns: runs, endOnFailure: false });
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : '';
    throw new Error(
      `Fuzz failure (seed ${SEED}; rerun with FUZZ_SEED=${SEED}): ${cause}\n` +
        (fc.defaultReportMessage(details) ?? ''),
    );
  }
}

/** What an answer may be: anything but a 5xx, except a 503 for a deadline or a busy server. */
function acceptable(status: number, body: string): boolean {
  if (status >= 100 && status < 500) return true;
  return status === 503 && /timed out|busy|shutting down/u.test(body);
}

// ---------------------------------------------------------------- generated SPARQL

const iri = fc.oneof(
  fc.constantFrom(
    '<http://example.org/alpha>',
    '<http://example.org/next>',
    '<http://example.org/rank>',
    '<http://www.w3.org/2000/01/rdf-schema#label>',
    'rdfs:label',
    'ex:Thing',
    'a',
  ),
  fc
    .string({ maxLength: 12 })
    .map((s) => `<http://example.org/${encodeURIComponent(wellFormedText(s))}>`),
);
const variable = fc.constantFrom('?s', '?p', '?o', '?x', '?y', '$z');
const literal = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)),
  fc.string({ maxLength: 16, unit: 'grapheme' }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"x"@en', '"2020-01-01"^^xsd:date', 'true', '"\\u0000"', "'''long'''"),
);
const term = fc.oneof(iri, variable, literal);
const path: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
  p: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    iri,
    fc.tuple(tie('p'), fc.constantFrom('*', '+', '?')).map(([p, m]) => `(${p})${m}`),
    fc.tuple(tie('p'), tie('p')).map(([a, b]) => `${a}/${b}`),
    fc.tuple(tie('p'), tie('p')).map(([a, b]) => `(${a}|${b})`),
    tie('p').map((p) => `^${p}`),
    iri.map((i) => `!${i}`),
  ),
})).p;
const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small' },
    term,
    fc
      .tuple(tie('e'), fc.constantFrom('=', '!=', '<', '>=', '&&', '||', '+', '*', '/'), tie('e'))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc
      .tuple(
        fc.constantFrom('STR', 'LANG', 'BOUND', 'isIRI', 'STRLEN', 'UCASE', 'ABS', 'xsd:integer'),
        tie('e'),
      )
      .map(([f, a]) => `${f}(${a})`),
    fc
      .tuple(fc.constantFrom('REGEX', 'CONTAINS', 'STRSTARTS', 'LANGMATCHES'), tie('e'), literal)
      .map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc
      .tuple(tie('e'), fc.array(term, { maxLength: 4 }))
      .map(([a, l]) => `${a} IN (${l.join(', ')})`),
  ),
})).e;
const pattern: fc.Arbitrary<string> = fc.letrec<{ g: string }>((tie) => ({
  g: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(term, fc.oneof(iri, variable, path), term).map(([s, p, o]) => `${s} ${p} ${o} .`),
    fc.array(tie('g'), { maxLength: 3 }).map((gs) => `{ ${gs.join(' ')} }`),
    tie('g').map((g) => `OPTIONAL { ${g} }`),
    fc.tuple(tie('g'), tie('g')).map(([a, b]) => `{ ${a} } UNION { ${b} }`),
    tie('g').map((g) => `MINUS { ${g} }`),
    expression.map((e) => `FILTER(${e})`),
    fc.tuple(expression, fc.nat(99)).map(([e, n]) => `BIND(${e} AS ?bound${n})`),
    fc.array(term, { maxLength: 5 }).map((ts) => `VALUES ?v { ${ts.join(' ')} }`),
    fc.tuple(variable, tie('g')).map(([g, p]) => `GRAPH ${g} { ${p} }`),
    tie('g').map((g) => `FILTER NOT EXISTS { ${g} }`),
    tie('g').map((g) => `{ SELECT * WHERE { ${g} } LIMIT 3 }`),
  ),
})).g;
const wellFormed = fc
  .tuple(
    // Heads with the modifiers that fit them, so that most generated queries are valid SPARQL.
    fc.constantFrom(
      ['SELECT *', ''],
      ['SELECT *', ' LIMIT 5'],
      ['SELECT *', ' ORDER BY ?s ?o'],
      ['SELECT DISTINCT ?s', ' OFFSET 2 LIMIT 1'],
      ['SELECT (COUNT(*) AS ?n)', ''],
      ['SELECT ?s (SAMPLE(?o) AS ?x)', ' GROUP BY ?s'],
      ['ASK', ''],
      ['CONSTRUCT { ?s ?p ?o }', ' LIMIT 5'],
      ['DESCRIBE ?s', ' LIMIT 3'],
    ),
    fc.array(pattern, { minLength: 1, maxLength: 3 }),
  )
  .map(
    ([[head, tail], body]) =>
      `PREFIX ex: <http://example.org/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ` +
      `PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> ${head} WHERE { ${body.join(' ')} }${tail}`,
  );
/** A well-formed query with a few characters removed, inserted or swapped: mostly malformed. */
const mutated = fc
  .tuple(
    wellFormed,
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('', '{', '}', '(', '"', '<', '>', '\\', '#', '\n', '?', '%'),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([q, edits]) =>
    edits.reduce((text, [at, s]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + s + text.slice(i + 1);
    }, q),
  );
const query = fc.oneof(
  { weight: 4, arbitrary: wellFormed },
  { weight: 4, arbitrary: mutated },
  { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
);

const transport = fc.constantFrom('get', 'form', 'body');
const accept = fc.constantFrom(
  undefined,
  undefined,
  undefined,
  '*/*',
  'text/csv',
  'application/sparql-results+xml',
  'text/turtle',
  'application/ld+json',
  'text/html',
  'x/y;q=0.5, */*;q=0.1',
);

/** Lone surrogates cannot be sent as UTF-8 (a client would fail before the server sees them). */
const wellFormedText = (s: string): string => s.replace(/\p{Surrogate}/gu, '\uFFFD');

function sparqlRequest(raw: string, how: string, acceptHeader: string | undefined): Buffer {
  const q = wellFormedText(raw);
  const headers = [
    'Host: x',
    'Connection: close',
    ...(acceptHeader ? [`Accept: ${acceptHeader}`] : []),
  ];
  if (how === 'get') {
    return Buffer.from(
      [`GET /sparql?query=${encodeURIComponent(q)} HTTP/1.1`, ...headers, '', ''].join('\r\n'),
    );
  }
  const body = Buffer.from(how === 'form' ? `query=${encodeURIComponent(q)}` : q, 'utf8');
  const type = how === 'form' ? 'application/x-www-form-urlencoded' : 'application/sparql-query';
  return Buffer.concat([
    Buffer.from(
      [
        'POST /sparql HTTP/1.1',
        ...headers,
        `Content-Type: ${type}`,
        `Content-Length: ${body.length}`,
        '',
        '',
      ].join('\r\n'),
    ),
    body,
  ]);
}

// ---------------------------------------------------------------- generated requests

const segment = fc.oneof(
  fc.constantFrom(
    'id',
    'state',
    'FRA',
    'graph',
    'ontology',
    'sparql',
    'api',
    'autocomplete',
    'link',
    'reconcile',
    'reports',
    'coverage',
    'search',
    'classes',
    'assets',
    'yasgui',
    'dumps',
    'cyber-diplomacy.nq.gz',
    'q',
    '.well-known',
    'void',
    '..',
    '.',
    '%2e%2e',
    '%2F',
    '%00',
    '%ZZ',
    '%E0%A4%A',
    'a.ttl',
    'x.html',
  ),
  fc.string({ maxLength: 10 }).map((s) => encodeURIComponent(wellFormedText(s))),
  fc.string({ maxLength: 6, unit: 'binary-ascii' }).map((s) => s.replace(/[\s\r\n]/gu, '')),
);
const target = fc
  .tuple(
    fc.array(segment, { minLength: 1, maxLength: 5 }),
    fc.option(
      fc.array(
        fc.tuple(
          fc.constantFrom(
            'q',
            'query',
            'format',
            'id',
            'iri',
            'limit',
            'callback',
            'queries',
            'year',
            'state',
          ),
          fc.oneof(
            segment,
            fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(wellFormedText(s))),
          ),
        ),
        { maxLength: 3 },
      ),
    ),
  )
  .map(([parts, params]) => {
    const q = params === null ? '' : `?${params.map(([k, v]) => `${k}=${v}`).join('&')}`;
    return `/${parts.join('/')}${q}`;
  });
const headerValue = fc.oneof(
  fc.constantFrom(
    'text/html',
    'application/json',
    'text/plain; charset=utf-8',
    'application/sparql-query',
    'application/x-www-form-urlencoded',
    'application/pdf',
    ';;;',
    '*/*;q=abc',
    'text/html, application/xhtml+xml;q=0.9',
    'gzip',
    'identity',
    'br',
  ),
  fc.string({ maxLength: 30, unit: 'binary-ascii' }).map((s) => s.replace(/[\r\n\0]/gu, ' ')),
);
const requestSpec = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'BREW'),
  target,
  accept: fc.option(headerValue),
  contentType: fc.option(headerValue),
  contentEncoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-bogus')),
  forwardedFor: fc.option(fc.constantFrom('203.0.113.5', 'unknown', '::1', '1.2.3.4, 5.6.7.8', '')),
  body: fc.option(fc.uint8Array({ maxLength: 300 })),
});

function buildRequest(spec: typeof requestSpec extends fc.Arbitrary<infer T> ? T : never): Buffer {
  const body = spec.body === null ? undefined : Buffer.from(spec.body);
  const headers = [
    'Host: x',
    'Connection: close',
    ...(spec.accept === null ? [] : [`Accept: ${spec.accept}`]),
    ...(spec.contentType === null ? [] : [`Content-Type: ${spec.contentType}`]),
    ...(spec.contentEncoding === null ? [] : [`Content-Encoding: ${spec.contentEncoding}`]),
    ...(spec.forwardedFor === null ? [] : [`X-Forwarded-For: ${spec.forwardedFor}`]),
    ...(body === undefined ? [] : [`Content-Length: ${body.length}`]),
  ];
  return Buffer.concat([
    Buffer.from(
      [`${spec.method} ${spec.target} HTTP/1.1`, ...headers, '', ''].join('\r\n'),
      'latin1',
    ),
    body ?? Buffer.alloc(0),
  ]);
}

describe.each([
  ['oxigraph', RUNS],
  ['comunica', Math.max(10, Math.round(RUNS / 3))],
] as const)('fuzzing the endpoint on the %s engine', (engine, runs) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      engine,
      workers: 2,
      queryTimeoutMs: 1000,
      maxBodyBytes: 16 * 1024,
      clientBudgetMs: 0,
      clientConcurrency: 0,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it(`answers ${runs} generated queries with no 5xx but deadlines`, async () => {
    await check(
      fc.asyncProperty(fc.tuple(query, transport, accept), async ([q, how, acceptHeader]) => {
        const res = await rawRequest(server.url, sparqlRequest(q, how, acceptHeader));
        if (!acceptable(res.status, res.body)) {
          throw new Error(`HTTP ${res.status} for ${JSON.stringify(q)}: ${res.body.slice(0, 300)}`);
        }
      }),
      runs,
    );
    const alive = await rawRequest(
      server.url,
      'GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(alive.status).toBe(200);
  });
});

describe('fuzzing every route with generated requests', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      dataPaths: [MINI],
      queryTimeoutMs: 1000,
      maxBodyBytes: 16 * 1024,
      clientBudgetMs: 0,
      clientConcurrency: 0,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it(`answers ${RUNS} generated requests with no 5xx but deadlines`, async () => {
    await check(
      fc.asyncProperty(requestSpec, async (spec) => {
        const res = await rawRequest(server.url, buildRequest(spec));
        if (res.status === 0 || !acceptable(res.status, res.body)) {
          throw new Error(
            `HTTP ${res.status} for ${spec.method} ${spec.target}: ${res.body.slice(0, 300)}`,
          );
        }
      }),
      RUNS,
    );
    const alive = await rawRequest(
      server.url,
      'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(alive.status).toBe(200);
  });
});
