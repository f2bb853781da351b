/**
 * SHACL validation of the loaded graph with `shacl-engine`: the shapes are every graph that declares
 * `sh:NodeShape`s; the data is the union of all other graphs (a link to an entity described in
 * another file must resolve). Each violation names the focus node, the path, the message, and the
 * files that describe the focus node, so a curator can act on it.
 */
import oxigraph from 'oxigraph';
import rdf from 'rdf-ext';
import { Validator } from 'shacl-engine';
import type { GraphInfo } from './load.js';
import { RDF_TYPE, SH } from '../vocab.js';

/** One problem found, in terms a curator can act on. */
export interface Violation {
  readonly focusNode: string;
  /** The property path in SPARQL syntax, e.g. `rdfs:label|skos:prefLabel`; empty for node constraints. */
  readonly path: string;
  readonly message: string;
  readonly severity: 'Violation' | 'Warning' | 'Info';
  readonly value: string | undefined;
  readonly shape: string;
  readonly constraint: string;
  /** Files that describe the focus node (as subject). */
  readonly files: readonly string[];
}

interface PathStep {
  quantifier: string;
  start: string;
  predicates: Array<{ value: string }>;
}

interface ShaclResult {
  focusNode?: { term?: { value: string }; value?: string };
  path?: PathStep[];
  message?: Array<{ value: string }>;
  severity?: { value: string };
  value?: { term?: { value: string } };
  shape?: { ptr?: { term?: { value: string } } };
  constraintComponent?: { value: string };
}

const PREFIXES: ReadonlyArray<[string, string]> = [
  ['rdf:', 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'],
  ['rdfs:', 'http://www.w3.org/2000/01/rdf-schema#'],
  ['skos:', 'http://www.w3.org/2004/02/skos/core#'],
  ['dcterms:', 'http://purl.org/dc/terms/'],
  ['prov:', 'http://www.w3.org/ns/prov#'],
  ['org:', 'http://www.w3.org/ns/org#'],
  ['owl:', 'http://www.w3.org/2002/07/owl#'],
  ['foaf:', 'http://xmlns.com/foaf/0.1/'],
  ['schema:', 'https://schema.org/'],
  ['time:', 'http://www.w3.org/2006/time#'],
  ['sh:', SH],
];

/** Shortens an IRI with a well-known prefix, or writes it as `<iri>`. */
export function shortIri(iri: string, extra: ReadonlyArray<[string, string]> = []): string {
  for (const [prefix, ns] of [...extra, ...PREFIXES]) {
    if (iri.startsWith(ns) && /^[\w-]+$/u.test(iri.slice(ns.length)))
      return prefix + iri.slice(ns.length);
  }
  return `<${iri}>`;
}

/** Writes a shacl-engine path as a SPARQL property path. */
function pathToString(
  path: PathStep[] | undefined,
  extra: ReadonlyArray<[string, string]>,
): string {
  if (path === undefined) return '';
  return path
    .map((step) => {
      const alt = step.predicates.map((p) => shortIri(p.value, extra)).join('|');
      const inv = step.start === 'object' ? '^' : '';
      const q =
        step.quantifier === 'zeroOrMore'
          ? '*'
          : step.quantifier === 'oneOrMore'
            ? '+'
            : step.quantifier === 'zeroOrOne'
              ? '?'
              : '';
      return `${inv}${step.predicates.length > 1 ? `(${alt})` : alt}${q}`;
    })
    .join('/');
}

function toViolation(
  r: ShaclResult,
  extra: ReadonlyArray<[string, string]>,
  files: readonly string[],
): Violation {
  const severity = (r.severity?.value ?? `${SH}Violation`).slice(SH.length);
  return {
    focusNode: r.focusNode?.term?.value ?? r.focusNode?.value ?? '',
    path: pathToString(r.path, extra),
    message: r.message?.map((m) => m.value).join(' ') ?? 'Constraint not satisfied.',
    severity: severity === 'Warning' || severity === 'Info' ? severity : 'Violation',
    value: r.value?.term?.value,
    shape: r.shape?.ptr?.term?.value ?? '',
    constraint: (r.constraintComponent?.value ?? '').replace(SH, 'sh:'),
    files,
  };
}

/** The graphs of a store that declare `sh:NodeShape`s. */
function shapeGraphsOf(store: oxigraph.Store): Set<string> {
  return new Set(
    (
      store.query(
        `SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s <${RDF_TYPE}> <${SH}NodeShape> } }`,
      ) as Array<Map<string, oxigraph.Term>>
    ).map((row) => row.get('g')!.value),
  );
}

/**
 * The shapes, parsed once, for checking many small sets of triples (each write's neighbourhood).
 */
export class ShapeValidator {
  private constructor(
    private readonly validator: Validator,
    private readonly extra: ReadonlyArray<[string, string]>,
    /** The graphs the shapes came from. */
    public readonly shapesGraphs: readonly string[],
  ) {}

  /**
   * Takes the shapes from the store's graphs that declare `sh:NodeShape`s.
   * @param store - the dataset
   * @param baseIri - for writing paths with the `cdo:` prefix
   * @param accept - which graphs may supply shapes (e.g. only curated ones)
   * @returns undefined when there are no shapes
   */
  public static fromStore(
    store: oxigraph.Store,
    baseIri: string,
    accept: (graph: string) => boolean = () => true,
  ): ShapeValidator | undefined {
    const graphs = [...shapeGraphsOf(store)].filter(accept);
    if (graphs.length === 0) return undefined;
    const shapes = rdf.dataset();
    for (const g of graphs) {
      for (const q of store.match(null, null, null, oxigraph.namedNode(g)))
        shapes.add(rdf.quad(q.subject, q.predicate, q.object));
    }
    return new ShapeValidator(
      new Validator(shapes, { factory: rdf }),
      [['cdo:', `${baseIri}ontology#`]],
      graphs,
    );
  }

  /**
   * Checks triples (graph names ignored) against the shapes.
   * @param quads - the data
   * @param focus - report only violations whose focus node has one of these values
   */
  public async validate(
    quads: Iterable<oxigraph.Quad>,
    focus?: ReadonlySet<string>,
  ): Promise<Violation[]> {
    const data = rdf.dataset();
    for (const q of quads) data.add(rdf.quad(q.subject, q.predicate, q.object));
    const report = (await this.validator.validate({ dataset: data })) as { results: ShaclResult[] };
    return report.results
      .map((r) => toViolation(r, this.extra, []))
      .filter((v) => focus === undefined || focus.has(v.focusNode));
  }
}

/**
 * Validates the store's data graphs against its shapes graphs.
 * @param store - the loaded dataset
 * @param graphs - what each file contributed (to name files in the report)
 * @param baseIri - the project's base, for shortening IRIs in paths
 */
export async function validateShapes(
  store: oxigraph.Store,
  graphs: readonly GraphInfo[],
  baseIri: string,
): Promise<{ conforms: boolean; violations: Violation[]; shapesGraphs: string[] }> {
  const shapeGraphs = shapeGraphsOf(store);
  const shapes = rdf.dataset();
  const data = rdf.dataset();
  for (const q of store.match(null, null, null, null)) {
    const triple = rdf.quad(q.subject, q.predicate, q.object);
    if (shapeGraphs.has(q.graph.value)) shapes.add(triple);
    else data.add(triple);
  }
  const fileOfGraph = new Map<string, string>();
  for (const g of graphs) {
    fileOfGraph.set(g.graph, g.file);
    for (const named of g.namedGraphs) fileOfGraph.set(named, g.file);
  }
  const extra: Array<[string, string]> = [['cdo:', `${baseIri}ontology#`]];
  const validator = new Validator(shapes, { factory: rdf });
  const report = (await validator.validate({ dataset: data })) as {
    conforms: boolean;
    results: ShaclResult[];
  };
  const violations = report.results.map((r): Violation => {
    const focus = r.focusNode?.term?.value ?? r.focusNode?.value ?? '';
    const files = new Set<string>();
    for (const q of store.match(
      focus.startsWith('_:') ? null : oxigraph.namedNode(focus),
      null,
      null,
      null,
    )) {
      const file = fileOfGraph.get(q.graph.value);
      if (file !== undefined) files.add(file);
    }
    return toViolation(r, extra, [...files].sort());
  });
  return { conforms: report.conforms, violations, shapesGraphs: [...shapeGraphs] };
}

/**
 * A plain-text report: violations grouped by the file that describes the focus node.
 * @param result - from `validateShapes`
 */
export function formatViolations(result: {
  conforms: boolean;
  violations: readonly Violation[];
  shapesGraphs: readonly string[];
}): string {
  if (result.shapesGraphs.length === 0) {
    return 'No SHACL shapes found (no graph declares sh:NodeShape): nothing to check.\n';
  }
  if (result.conforms) return 'SHACL: the data conforms to the shapes.\n';
  const byFile = new Map<string, Violation[]>();
  for (const v of result.violations) {
    const key = v.files.join(', ') || '(no file describes the focus node)';
    byFile.set(key, [...(byFile.get(key) ?? []), v]);
  }
  let out = '';
  for (const [file, list] of [...byFile.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out += `\n${file}\n`;
    for (const v of list) {
      const path = v.path === '' ? '' : ` ${v.path}`;
      const value = v.value === undefined ? '' : ` = ${JSON.stringify(v.value)}`;
      out += `  ${v.severity}: <${v.focusNode}>${path}${value}\n    ${v.message}\n`;
    }
  }
  return `${out}\nSHACL: ${result.violations.length} violation(s).\n`;
}
