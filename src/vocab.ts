/** The namespaces of the vocabularies the project uses, in one place. */

export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
export const RDF_TYPE = `${RDF}type`;
export const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
export const OWL = 'http://www.w3.org/2002/07/owl#';
export const XSD = 'http://www.w3.org/2001/XMLSchema#';
export const SKOS = 'http://www.w3.org/2004/02/skos/core#';
export const DCT = 'http://purl.org/dc/terms/';
export const PROV = 'http://www.w3.org/ns/prov#';
export const ORG = 'http://www.w3.org/ns/org#';
export const TIME = 'http://www.w3.org/2006/time#';
export const SCHEMA = 'https://schema.org/';
export const FOAF = 'http://xmlns.com/foaf/0.1/';
export const OA = 'http://www.w3.org/ns/oa#';
export const VOID = 'http://rdfs.org/ns/void#';
export const SH = 'http://www.w3.org/ns/shacl#';
export const SD = 'http://www.w3.org/ns/sparql-service-description#';
export const FORMATS = 'http://www.w3.org/ns/formats/';

/** The standard prefixes, for Turtle output and the JSON-LD context (`cdo:` is added per base). */
export const STANDARD_PREFIXES: Readonly<Record<string, string>> = Object.freeze({
  rdf: RDF,
  rdfs: RDFS,
  owl: OWL,
  xsd: XSD,
  skos: SKOS,
  dcterms: DCT,
  prov: PROV,
  org: ORG,
  time: TIME,
  schema: SCHEMA,
  foaf: FOAF,
  oa: OA,
  void: VOID,
  sh: SH,
});
