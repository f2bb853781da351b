/**
 * The linker's outputs: W3C Web Annotation RDF (one annotation per mention, targeting the source
 * document through a TextQuoteSelector with short prefix/suffix and a TextPositionSelector), and an
 * HTML view of the text with mentions highlighted and linked. Only short quotes of the text are kept.
 */
import { createHash } from 'node:crypto';
import { DataFactory, Writer } from 'n3';
import type { Quad } from 'n3';
import { html, type SafeHtml } from '../web/html.js';
import { hrefFor } from '../web/iris.js';
import type { Mention } from './linkText.js';
import { DCT, OA, PROV, RDFS, RDF_TYPE, SCHEMA, XSD } from '../vocab.js';

type Subject = Quad['subject'];
type Obj = Quad['object'];
const namedNode = (v: string) => DataFactory.namedNode(v);
const literal = (v: string, l?: string | ReturnType<typeof namedNode>) => DataFactory.literal(v, l);
const blankNode = () => DataFactory.blankNode();
const quad = (s: Subject, p: ReturnType<typeof namedNode>, o: Obj): Quad =>
  DataFactory.quad(s, p, o);

/** Characters of context kept on each side of a quote. */
export const CONTEXT_CHARS = 32;

/** The text that was linked, and where it came from. */
export interface LinkedDocument {
  readonly text: string;
  readonly url?: string;
  readonly title?: string;
}

/** SHA-256 of the text (UTF-8), hex. */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The IRI the graph gives a linked text, as a source: `{base}id/source/text-{first 16 hex of its SHA-256}`. */
export function documentIri(text: string, baseIri: string): string {
  return `${baseIri}id/source/text-${textHash(text).slice(0, 16)}`;
}

/**
 * The mentions as Web Annotation quads (default graph).
 * @param doc - the text and its origin
 * @param mentions - from linkText
 * @param baseIri - the configured base
 * @param now - generation time (for provenance)
 */
export function annotationQuads(
  doc: LinkedDocument,
  mentions: readonly Mention[],
  baseIri: string,
  now = new Date(),
): Quad[] {
  const cdo = `${baseIri}ontology#`;
  const hash = textHash(doc.text);
  const docIri = namedNode(documentIri(doc.text, baseIri));
  const out: Quad[] = [];
  const add = (s: Subject, p: string, o: Obj): void => {
    out.push(quad(s, namedNode(p), o));
  };
  add(docIri, RDF_TYPE, namedNode(`${cdo}Source`));
  add(
    docIri,
    `${RDFS}label`,
    literal(`Linked text: ${doc.title ?? doc.url ?? hash.slice(0, 16)}`, 'en'),
  );
  if (doc.title !== undefined) add(docIri, `${DCT}title`, literal(doc.title));
  add(docIri, `${SCHEMA}url`, namedNode(doc.url ?? `urn:sha256:${hash}`));
  add(docIri, `${cdo}textSha256`, literal(hash));
  add(
    docIri,
    `${SCHEMA}characterCount`,
    literal(String(doc.text.length), namedNode(`${XSD}integer`)),
  );
  add(docIri, `${DCT}created`, literal(now.toISOString(), namedNode(`${XSD}dateTime`)));
  const entities = new Set<string>();
  mentions.forEach((m, i) => {
    const ann = namedNode(`${baseIri}id/annotation/text-${hash.slice(0, 16)}-${i + 1}`);
    const target = blankNode();
    const quote = blankNode();
    const position = blankNode();
    add(ann, RDF_TYPE, namedNode(`${OA}Annotation`));
    add(ann, `${RDFS}label`, literal(`“${m.text}” → ${m.label}`, 'en'));
    add(ann, `${OA}motivatedBy`, namedNode(`${OA}identifying`));
    add(ann, `${OA}hasBody`, namedNode(m.iri));
    add(ann, `${OA}hasTarget`, target);
    add(ann, `${PROV}wasDerivedFrom`, docIri);
    add(ann, `${cdo}confidence`, literal(m.confidence.toFixed(3), namedNode(`${XSD}decimal`)));
    add(ann, `${cdo}linkRule`, literal(m.rule));
    add(target, RDF_TYPE, namedNode(`${OA}SpecificResource`));
    add(target, `${OA}hasSource`, docIri);
    add(target, `${OA}hasSelector`, quote);
    add(target, `${OA}hasSelector`, position);
    add(quote, RDF_TYPE, namedNode(`${OA}TextQuoteSelector`));
    add(quote, `${OA}exact`, literal(m.text));
    add(
      quote,
      `${OA}prefix`,
      literal(doc.text.slice(Math.max(0, m.start - CONTEXT_CHARS), m.start)),
    );
    add(quote, `${OA}suffix`, literal(doc.text.slice(m.end, m.end + CONTEXT_CHARS)));
    add(position, RDF_TYPE, namedNode(`${OA}TextPositionSelector`));
    add(position, `${OA}start`, literal(String(m.start), namedNode(`${XSD}nonNegativeInteger`)));
    add(position, `${OA}end`, literal(String(m.end), namedNode(`${XSD}nonNegativeInteger`)));
    entities.add(m.iri);
  });
  for (const e of entities) add(docIri, `${cdo}mentions`, namedNode(e));
  return out;
}

/**
 * The annotations as Turtle.
 * @param quads - from annotationQuads
 * @param baseIri - for prefixes
 */
export async function annotationsTurtle(quads: readonly Quad[], baseIri: string): Promise<string> {
  const writer = new Writer({
    format: 'Turtle',
    prefixes: {
      oa: OA,
      cdo: `${baseIri}ontology#`,
      rdfs: RDFS,
      xsd: XSD,
      prov: PROV,
      dcterms: DCT,
      schema: SCHEMA,
    },
  });
  writer.addQuads([...quads]);
  return await new Promise<string>((resolve, reject) =>
    writer.end((e, r: string) => (e ? reject(e) : resolve(r))),
  );
}

/**
 * The text as HTML with each mention highlighted and linked to its page.
 * @param text - the linked text
 * @param mentions - non-overlapping, sorted by start
 * @param baseIri - the configured base
 */
export function highlightHtml(
  text: string,
  mentions: readonly Mention[],
  baseIri: string,
): SafeHtml {
  const parts: Array<SafeHtml | string> = [];
  let at = 0;
  for (const m of mentions) {
    if (m.start < at) continue;
    parts.push(text.slice(at, m.start));
    parts.push(
      html`<a class="mention mention-${m.kind}" href="${hrefFor(m.iri, baseIri)}" title="${m.label} (${m.kind}, ${Math.round(m.confidence * 100)}%)">${text.slice(m.start, m.end)}</a>`,
    );
    at = m.end;
  }
  parts.push(text.slice(at));
  return html`<div class="linked-text">${parts}</div>`;
}
