/**
 * Reading the W3C SPARQL test manifests (Turtle, `mf:` / `qt:` / `dawgt:` vocabularies) into a flat
 * list of tests this endpoint can run: query evaluation, result formats, and query syntax tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Parser, Store, type Quad_Object, type Term } from 'n3';

export const MF = 'http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#';
export const QT = 'http://www.w3.org/2001/sw/DataAccess/tests/test-query#';
export const DAWGT = 'http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#';
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

/** The manifests the suite starts from (relative to the `sparql` folder of the test suites). */
export const ROOT_MANIFESTS = [
  'sparql10/manifest-evaluation.ttl',
  'sparql10/manifest-syntax.ttl',
  'sparql11/manifest-sparql11-query.ttl',
  'sparql11/manifest-sparql11-results.ttl',
] as const;

/**
 * Included manifests that are never run: the endpoint is read-only and answers from one dataset,
 * so update, protocol-level, federation, entailment and graph-store tests do not apply.
 */
const EXCLUDED_DIRS = new Set([
  'add',
  'basic-update',
  'clear',
  'copy',
  'delete',
  'delete-data',
  'delete-insert',
  'delete-where',
  'drop',
  'move',
  'update-silent',
  'syntax-update-1',
  'syntax-update-2',
  'syntax-fed',
  'service',
  'entailment',
  'protocol',
  'http-rdf-update',
  'graph-store-protocol',
  'service-description',
]);

export type TestKind = 'evaluation' | 'csv' | 'positive-syntax' | 'negative-syntax';

/** Optional features (mf:requires) each engine is expected to support; others are skipped. */
export const SUPPORTED_FEATURES: ReadonlySet<string> = new Set([
  // Both engines implement these SPARQL 1.1 behaviours; the tests are run and counted.
  `${MF}KnownTypesDefault2Neq`,
  `${MF}LangTagAwareness`,
  `${MF}StringSimpleLiteralCmp`,
  `${MF}XsdDateOperations`,
]);

export interface W3cTest {
  /** Stable short id: `<category>#<local name>`, e.g. `sparql10/basic#base-prefix-1`. */
  readonly id: string;
  /** The test's IRI in its manifest. */
  readonly iri: string;
  readonly name: string;
  /** The manifest's folder relative to the suite root, e.g. `sparql11/aggregates`. */
  readonly category: string;
  readonly kind: TestKind;
  /** Absolute path of the query file. */
  readonly queryFile: string;
  /** file:// URL of the query file (the base for its relative IRIs). */
  readonly queryUrl: string;
  /** file:// URLs of qt:data. */
  readonly data: readonly string[];
  /** file:// URLs of qt:graphData. */
  readonly graphData: readonly string[];
  /** Absolute path of the expected result, for evaluation tests. */
  readonly resultFile: string | undefined;
  /** mf:requires feature IRIs. */
  readonly requires: readonly string[];
  readonly approval: string | undefined;
  /** mf:resultCardinality mf:LaxCardinality: duplicates may or may not be eliminated. */
  readonly laxCardinality: boolean;
  /** Why the test is not run, when it is not. */
  readonly skipReason: string | undefined;
}

/** One manifest's triples, with helpers over them. */
class Graph {
  public readonly store: Store;

  public constructor(file: string) {
    const text = readFileSync(file, 'utf8');
    const parser = new Parser({ format: 'text/turtle', baseIRI: pathToFileURL(file).href });
    this.store = new Store(parser.parse(text));
  }

  public objects(subject: Term, predicate: string): Quad_Object[] {
    return this.store.getObjects(subject, predicate, null);
  }

  public one(subject: Term, predicate: string): Quad_Object | undefined {
    return this.objects(subject, predicate)[0];
  }

  /** The members of the RDF list starting at `head`. */
  public list(head: Term | undefined): Term[] {
    const out: Term[] = [];
    let node = head;
    const seen = new Set<string>();
    while (node !== undefined && node.value !== `${RDF}nil` && !seen.has(node.value)) {
      seen.add(node.value);
      const first = this.one(node, `${RDF}first`);
      if (first !== undefined) out.push(first);
      node = this.one(node, `${RDF}rest`);
    }
    return out;
  }
}

function localName(iri: string): string {
  const at = Math.max(iri.lastIndexOf('#'), iri.lastIndexOf('/'));
  return iri.slice(at + 1);
}

function kindOf(types: readonly string[]): TestKind | undefined {
  for (const t of types) {
    switch (t) {
      case `${MF}QueryEvaluationTest`:
        return 'evaluation';
      case `${MF}CSVResultFormatTest`:
        return 'csv';
      case `${MF}PositiveSyntaxTest`:
      case `${MF}PositiveSyntaxTest11`:
        return 'positive-syntax';
      case `${MF}NegativeSyntaxTest`:
      case `${MF}NegativeSyntaxTest11`:
        return 'negative-syntax';
      default:
    }
  }
  return undefined;
}

function toPath(iri: string): string {
  return fileURLToPath(iri);
}

/**
 * Reads every test reachable from the root manifests.
 * @param suiteRoot - the `sparql` folder (holding `sparql10/` and `sparql11/`)
 * @returns tests in manifest order; tests the endpoint does not run carry a `skipReason`
 */
export function loadTests(suiteRoot: string): W3cTest[] {
  const tests: W3cTest[] = [];
  const visited = new Set<string>();
  const ids = new Set<string>();

  const visit = (file: string): void => {
    if (visited.has(file) || !existsSync(file)) return;
    visited.add(file);
    const dir = path.relative(suiteRoot, path.dirname(file)).split(path.sep).join('/');
    if (EXCLUDED_DIRS.has(path.basename(path.dirname(file)))) return;
    const g = new Graph(file);
    const manifest = g.store.getSubjects(`${RDF}type`, `${MF}Manifest`, null)[0];
    if (manifest === undefined) return;
    for (const include of g.objects(manifest, `${MF}include`).flatMap((l) => g.list(l))) {
      visit(toPath(include.value));
    }
    for (const entry of g.objects(manifest, `${MF}entries`).flatMap((l) => g.list(l))) {
      const types = g.objects(entry, `${RDF}type`).map((t) => t.value);
      const kind = kindOf(types);
      let id = `${dir}#${localName(entry.value)}`;
      while (ids.has(id)) id += "'";
      ids.add(id);
      const name = g.one(entry, `${MF}name`)?.value ?? localName(entry.value);
      const approval = g.one(entry, `${DAWGT}approval`)?.value;
      const requires = g.objects(entry, `${MF}requires`).map((t) => t.value);
      const action = g.one(entry, `${MF}action`);
      const queryIri =
        action === undefined
          ? undefined
          : action.termType === 'NamedNode'
            ? action.value
            : g.one(action, `${QT}query`)?.value;
      const data =
        action !== undefined && action.termType !== 'NamedNode'
          ? g.objects(action, `${QT}data`).map((t) => t.value)
          : [];
      const graphData =
        action !== undefined && action.termType !== 'NamedNode'
          ? g.objects(action, `${QT}graphData`).map((t) => t.value)
          : [];
      const result = g.one(entry, `${MF}result`)?.value;
      const laxCardinality =
        g.one(entry, `${MF}resultCardinality`)?.value === `${MF}LaxCardinality`;
      let skipReason: string | undefined;
      if (kind === undefined)
        skipReason = `test type not run here: ${types.map(localName).join(', ')}`;
      else if (approval === `${DAWGT}Withdrawn`) skipReason = 'withdrawn';
      else if (approval === `${DAWGT}NotClassified`) skipReason = 'not classified';
      else if (approval === `${DAWGT}Rejected`) skipReason = 'rejected';
      else if (queryIri === undefined || !queryIri.startsWith('file:'))
        skipReason = 'no query file';
      else if (requires.some((r) => !SUPPORTED_FEATURES.has(r))) {
        skipReason = `requires ${requires
          .filter((r) => !SUPPORTED_FEATURES.has(r))
          .map(localName)
          .join(', ')}`;
      } else if ((kind === 'evaluation' || kind === 'csv') && result === undefined)
        skipReason = 'no expected result';
      tests.push({
        id,
        iri: entry.value,
        name,
        category: dir,
        kind: kind ?? 'evaluation',
        queryFile: queryIri?.startsWith('file:') === true ? toPath(queryIri) : '',
        queryUrl: queryIri ?? '',
        data,
        graphData,
        resultFile: result?.startsWith('file:') === true ? toPath(result) : undefined,
        requires,
        approval,
        laxCardinality,
        skipReason,
      });
    }
  };

  for (const root of ROOT_MANIFESTS) visit(path.join(suiteRoot, root));
  return tests;
}
