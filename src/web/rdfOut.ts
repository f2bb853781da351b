/**
 * A resource description as RDF, in every syntax the pages offer. The graph each statement comes
 * from is kept in TriG and N-Quads, so machines see the provenance people see on the page.
 */
import jsonld from 'jsonld';
import { DataFactory, Parser, Writer } from 'n3';
import type { Quad, Quad_Object, Quad_Subject } from 'n3';
import { convertNTriples } from '../sparql/executor.js';
import type { Description, Term } from './describe.js';
import { STANDARD_PREFIXES } from '../vocab.js';

const namedNode = (iri: string) => DataFactory.namedNode(iri);
const blankNode = (id: string) => DataFactory.blankNode(id);
const literal = (value: string, langOrType?: string | ReturnType<typeof namedNode>) =>
  DataFactory.literal(value, langOrType);
const defaultGraph = () => DataFactory.defaultGraph();
const quad = (s: Quad_Subject, p: Quad['predicate'], o: Quad_Object, g: Quad['graph']) =>
  DataFactory.quad(s, p, o, g);

/** Prefixes used in Turtle output and in the published JSON-LD context. */
export function standardPrefixes(baseIri: string): Record<string, string> {
  return { cdo: `${baseIri}ontology#`, ...STANDARD_PREFIXES };
}

/** The JSON-LD context published at /context.jsonld. */
export function jsonLdContext(baseIri: string): Record<string, unknown> {
  return { '@context': { ...standardPrefixes(baseIri), '@base': baseIri } };
}

function toObject(t: Term): Quad_Object {
  if (t.type === 'uri') return namedNode(t.value);
  if (t.type === 'bnode') return blankNode(t.value);
  return literal(t.value, t.lang ?? (t.datatype === undefined ? undefined : namedNode(t.datatype)));
}

/** The description's statements as quads (graph kept), nested blank-node statements included. */
export function descriptionQuads(d: Description): Quad[] {
  const out: Quad[] = [];
  const subject = namedNode(d.iri);
  for (const st of d.statements) {
    const g = namedNode(st.graph);
    const object = toObject(st.object);
    out.push(quad(subject, namedNode(st.predicate), object, g));
    for (const n of st.nested ?? [])
      out.push(quad(object as Quad_Subject, namedNode(n.predicate), toObject(n.object), g));
  }
  return out;
}

function write(quads: Quad[], format: 'N-Triples' | 'N-Quads'): string {
  return new Writer({ format }).quadsToString(quads);
}

/**
 * Serializes a description.
 * @param d - the description
 * @param mediaType - one of the RDF media types the pages offer
 * @param baseIri - for prefixes and the JSON-LD context
 * @param contextUrl - where the JSON-LD context is published
 */
export async function serializeDescription(
  d: Description,
  mediaType: string,
  baseIri: string,
  contextUrl: string,
): Promise<string> {
  const quads = descriptionQuads(d);
  if (mediaType === 'application/trig' || mediaType === 'application/n-quads') {
    const nq = write(quads, 'N-Quads');
    if (mediaType === 'application/n-quads') return nq;
    const writer = new Writer({ format: 'TriG', prefixes: standardPrefixes(baseIri) });
    writer.addQuads(quads);
    return await new Promise<string>((resolve, reject) =>
      writer.end((e, r: string) => (e ? reject(e) : resolve(r))),
    );
  }
  const triples = quads.map((q) => quad(q.subject, q.predicate, q.object, defaultGraph()));
  const nt =
    [...new Set(write(triples, 'N-Triples').split('\n').filter(Boolean))].join('\n') + '\n';
  if (mediaType === 'application/ld+json') {
    const expanded = JSON.parse(convertNTriples(nt, 'application/ld+json')) as object;
    const context = jsonLdContext(baseIri)['@context'] as jsonld.ContextDefinition;
    const compacted = await jsonld.compact(expanded, context);
    return JSON.stringify({ ...compacted, '@context': contextUrl }, null, 2);
  }
  return convertNTriples(nt, mediaType, standardPrefixes(baseIri));
}

/**
 * N-Triples of one named graph, written as TriG under that graph's name.
 * @param ntriples - the graph's triples
 * @param graph - its name
 * @param prefixes - prefixes to declare
 */
export async function graphAsTrig(
  ntriples: string,
  graph: string,
  prefixes: Record<string, string>,
): Promise<string> {
  const g = namedNode(graph);
  const quads = new Parser({ format: 'N-Triples' })
    .parse(ntriples)
    .map((q) => quad(q.subject, q.predicate, q.object, g));
  const writer = new Writer({ format: 'TriG', prefixes });
  writer.addQuads(quads);
  return await new Promise<string>((resolve, reject) =>
    writer.end((e, r: string) => (e ? reject(e) : resolve(r))),
  );
}
