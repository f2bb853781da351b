/**
 * Kind-specific sections of resource pages: the cross-references a reader of a norm, a state, a
 * document or an incident looks for first, each a SELECT query whose columns the page renders.
 */
import { iriRef } from './describe.js';

export interface Highlight {
  readonly title: string;
  /** Column variables, in display order, with headings. */
  readonly columns: ReadonlyArray<readonly [variable: string, heading: string]>;
  readonly query: string;
}

const P = (cdo: string): string => `PREFIX cdo: <${cdo}>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
`;

/**
 * The highlights for a resource of the given types.
 * @param iri - the resource
 * @param types - its rdf:types
 * @param baseIri - the configured base
 */
export function highlightsFor(iri: string, types: readonly string[], baseIri: string): Highlight[] {
  const cdo = `${baseIri}ontology#`;
  const is = (local: string): boolean => types.includes(cdo + local);
  const x = iriRef(iri);
  const out: Highlight[] = [];
  if (is('Norm')) {
    out.push({
      title: 'Documents that affirm or elaborate this norm',
      columns: [
        ['document', 'Document'],
        ['relation', 'How'],
        ['paragraph', 'Paragraph'],
      ],
      query: `${P(cdo)}SELECT DISTINCT ?document ?relation ?paragraph WHERE {
  { ?ref cdo:norm ${x} ; cdo:document ?document . OPTIONAL { ?ref cdo:relation ?relation } OPTIONAL { ?ref cdo:paragraph ?paragraph } }
  UNION { ?document cdo:affirmsNorm ${x} BIND("affirms" AS ?relation) }
  UNION { ?document cdo:elaboratesNorm ${x} BIND("elaborates" AS ?relation) }
} ORDER BY ?document`,
    });
    out.push({
      title: 'Incidents claimed to breach this norm',
      columns: [
        ['incident', 'Incident'],
        ['claimant', 'Claimed by'],
        ['date', 'Date'],
      ],
      query: `${P(cdo)}SELECT ?incident ?claimant ?date WHERE {
  ?claim a cdo:BreachClaim ; cdo:norm ${x} ; cdo:incident ?incident .
  OPTIONAL { ?claim cdo:claimant ?claimant } OPTIONAL { ?claim cdo:date ?date }
} ORDER BY ?date`,
    });
    out.push({
      title: 'Principles aligned with this norm',
      columns: [['principle', 'Principle']],
      query: `${P(cdo)}SELECT ?principle WHERE { ?principle cdo:alignsWithNorm ${x} }`,
    });
  }
  if (is('State')) {
    out.push({
      title: 'Memberships',
      columns: [
        ['process', 'Process'],
        ['role', 'Role'],
      ],
      query: `${P(cdo)}SELECT ?process ?role WHERE { ?m org:member ${x} ; org:organization ?process . OPTIONAL { ?m org:role ?role } } ORDER BY ?process`,
    });
    out.push({
      title: 'Initiatives supported',
      columns: [
        ['initiative', 'Initiative'],
        ['date', 'Since'],
      ],
      query: `${P(cdo)}SELECT ?initiative ?date WHERE { ?s cdo:supporter ${x} ; cdo:initiative ?initiative . OPTIONAL { ?s cdo:date ?date } }`,
    });
    out.push({
      title: 'Attributions made',
      columns: [
        ['date', 'Date'],
        ['incident', 'Incident'],
        ['to', 'Attributed to'],
      ],
      query: `${P(cdo)}SELECT ?date ?incident ?to WHERE { ?a a cdo:Attribution ; cdo:attributedBy ${x} ; cdo:incident ?incident . OPTIONAL { ?a cdo:attributedTo ?to } OPTIONAL { ?a cdo:date ?date } } ORDER BY ?date`,
    });
    out.push({
      title: 'Attributions received',
      columns: [
        ['date', 'Date'],
        ['incident', 'Incident'],
        ['by', 'Attributed by'],
      ],
      query: `${P(cdo)}SELECT ?date ?incident ?by WHERE { ?a a cdo:Attribution ; cdo:attributedTo ${x} ; cdo:incident ?incident . OPTIONAL { ?a cdo:attributedBy ?by } OPTIONAL { ?a cdo:date ?date } } ORDER BY ?date`,
    });
  }
  if (is('Document') || is('Report') || is('Resolution')) {
    out.push({
      title: 'Norms in this document',
      columns: [
        ['norm', 'Norm'],
        ['relation', 'How'],
        ['paragraph', 'Paragraph'],
      ],
      query: `${P(cdo)}SELECT DISTINCT ?norm ?relation ?paragraph WHERE {
  { ?ref cdo:document ${x} ; cdo:norm ?norm . OPTIONAL { ?ref cdo:relation ?relation } OPTIONAL { ?ref cdo:paragraph ?paragraph } }
  UNION { ${x} cdo:affirmsNorm ?norm BIND("affirms" AS ?relation) }
  UNION { ${x} cdo:elaboratesNorm ?norm BIND("elaborates" AS ?relation) }
} ORDER BY ?norm`,
    });
    out.push({
      title: 'Critical-infrastructure sectors named',
      columns: [['sector', 'Sector']],
      query: `${P(cdo)}SELECT DISTINCT ?sector WHERE { ${x} cdo:namesCriticalSector ?sector } ORDER BY ?sector`,
    });
  }
  if (is('Incident')) {
    out.push({
      title: 'Timeline of attributions',
      columns: [
        ['date', 'Date'],
        ['by', 'Attributed by'],
        ['to', 'Attributed to'],
        ['confidence', 'Stated confidence'],
        ['source', 'Source'],
      ],
      query: `${P(cdo)}SELECT ?date ?by ?to ?confidence ?source WHERE {
  ?a a cdo:Attribution ; cdo:incident ${x} .
  OPTIONAL { ?a cdo:date ?date } OPTIONAL { ?a cdo:attributedBy ?by } OPTIONAL { ?a cdo:attributedTo ?to }
  OPTIONAL { ?a cdo:statedConfidence ?confidence } OPTIONAL { ?a prov:wasDerivedFrom ?source }
} ORDER BY ?date`,
    });
  }
  return out;
}
