/**
 * Shared pieces of the data builders: the project's namespaces, term helpers and a serializer that
 * writes Turtle / TriG with N3.js (so escaping is N3.js's, not ours) behind a comment header.
 */
import { DataFactory, Writer } from 'n3';
import type { NamedNode, Quad, Quad_Graph, Quad_Object } from 'n3';
import { DCT, FOAF, OWL, PROV, RDF, RDFS, SCHEMA, SKOS, XSD } from '../../vocab.js';

/** The base of every IRI the project mints. */
export const BASE = 'https://w3id.org/cyber-diplomacy/';

/** Namespace IRIs by prefix, as the conventions name them. */
export const NS = Object.freeze({
  cdo: `${BASE}ontology#`,
  rdf: RDF,
  rdfs: RDFS,
  owl: OWL,
  xsd: XSD,
  skos: SKOS,
  dcterms: DCT,
  prov: PROV,
  schema: SCHEMA,
  foaf: FOAF,
  state: `${BASE}id/state/`,
  source: `${BASE}id/source/`,
  organization: `${BASE}id/organization/`,
  initiative: `${BASE}id/initiative/`,
  principle: `${BASE}id/principle/`,
  support: `${BASE}id/support/`,
  graph: `${BASE}graph/source/`,
});

export type Prefix = keyof typeof NS;

/**
 * A named node in one of the project's namespaces.
 * @param prefix - a key of {@link NS}
 * @param local - the local name
 */
export function iri(prefix: Prefix, local: string): NamedNode {
  return DataFactory.namedNode(NS[prefix] + local);
}

/** Frequently used terms. */
export const T = Object.freeze({
  type: iri('rdf', 'type'),
  label: iri('rdfs', 'label'),
  comment: iri('rdfs', 'comment'),
  seeAlso: iri('rdfs', 'seeAlso'),
  prefLabel: iri('skos', 'prefLabel'),
  altLabel: iri('skos', 'altLabel'),
  notation: iri('skos', 'notation'),
  editorialNote: iri('skos', 'editorialNote'),
  sameAs: iri('owl', 'sameAs'),
  title: iri('dcterms', 'title'),
  publisher: iri('dcterms', 'publisher'),
  issued: iri('dcterms', 'issued'),
  license: iri('dcterms', 'license'),
  wasDerivedFrom: iri('prov', 'wasDerivedFrom'),
  url: iri('schema', 'url'),
  version: iri('schema', 'version'),
  additionalType: iri('schema', 'additionalType'),
  page: iri('foaf', 'page'),
  Source: iri('cdo', 'Source'),
});

/**
 * A named node for a full IRI (e.g. an external web address).
 * @param value - the IRI
 */
export function named(value: string): NamedNode {
  return DataFactory.namedNode(value);
}

/** A plain string literal (xsd:string). */
export function str(value: string): Quad_Object {
  return DataFactory.literal(value);
}

/**
 * A language-tagged string.
 * @param value - the text
 * @param lang - a BCP 47 tag such as `en`
 */
export function lang(value: string, language: string): Quad_Object {
  return DataFactory.literal(value, language);
}

/**
 * A typed literal in the XSD namespace.
 * @param value - the lexical form
 * @param type - the XSD local name, e.g. `date`
 */
export function typed(value: string, type: 'date' | 'integer' | 'boolean'): Quad_Object {
  return DataFactory.literal(value, iri('xsd', type));
}

/** Collects quads for one output file, in the order they are added. */
export class QuadSink {
  readonly quads: Quad[] = [];

  /**
   * Adds one triple, to the default graph or to the named graph given.
   * @param s - subject
   * @param p - predicate
   * @param o - object
   * @param g - named graph (omit for the default graph)
   */
  add(s: NamedNode, p: NamedNode, o: Quad_Object, g?: NamedNode): void {
    const graph: Quad_Graph = g ?? DataFactory.defaultGraph();
    this.quads.push(DataFactory.quad(s, p, o, graph));
  }
}

/**
 * Serializes quads with N3.js's Writer and prepends a `#` comment header.
 * Quads are written in the order given, so callers control the layout; consecutive triples with
 * the same subject (and graph) are grouped with `;` by the writer.
 * @param quads - the quads
 * @param options - output format, prefixes to declare, and header lines (without the leading `# `)
 */
export async function serialize(
  quads: readonly Quad[],
  options: { format: 'Turtle' | 'TriG'; prefixes: readonly Prefix[]; header: readonly string[] },
): Promise<string> {
  const prefixes: Record<string, string> = {};
  for (const p of options.prefixes) prefixes[p] = NS[p];
  const writer = new Writer({
    format: options.format === 'TriG' ? 'application/trig' : 'text/turtle',
    prefixes,
  });
  for (const q of quads) writer.addQuad(q);
  const body = await new Promise<string>((resolve, reject) => {
    writer.end((error: Error | null, result: string) => {
      if (error) reject(error);
      else resolve(result);
    });
  });
  // A blank line before each statement and after each graph block (N3.js escapes newlines inside
  // literals, so a line break followed by a non-blank character always starts a statement).
  const spaced = body.replace(/\.\n(?=[^\s}@])/gu, '.\n\n').replace(/\}\n(?=\S)/gu, '}\n\n');
  const header = options.header.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n');
  return `${header}\n\n${spaced.endsWith('\n') ? spaced : `${spaced}\n`}`;
}
