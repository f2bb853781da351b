/**
 * Self-description: the VoID description of the dataset and the saved queries as SHACL-SPARQL
 * executables (the convention of the SIB sparql-examples collection), both as RDF in any syntax.
 */
import oxigraph from 'oxigraph';
import { freeStore } from '../graph/oxigraphUtil.js';
import type { SavedQuery } from '../reports/savedQueries.js';
import { convertNTriples } from '../sparql/executor.js';
import type { LabelIndex } from './labels.js';
import { standardPrefixes } from './rdfOut.js';
import { DCT, RDFS, RDF_TYPE, SCHEMA, SH, VOID, XSD } from '../vocab.js';

type Node = oxigraph.NamedNode | oxigraph.BlankNode;

function build(
  fill: (
    add: (
      s: Node,
      p: string,
      o: oxigraph.NamedNode | oxigraph.BlankNode | oxigraph.Literal,
    ) => void,
  ) => void,
  mediaType: string,
  baseIri: string,
): string {
  const store = new oxigraph.Store();
  try {
    fill((s, p, o) =>
      store.add(oxigraph.quad(s, oxigraph.namedNode(p), o, oxigraph.defaultGraph())),
    );
    const nt = store.dump({
      format: 'application/n-triples',
      from_graph_name: oxigraph.defaultGraph(),
    });
    return convertNTriples(nt, mediaType, { ...standardPrefixes(baseIri), void: VOID });
  } finally {
    freeStore(store);
  }
}

const int = (n: number): oxigraph.Literal =>
  oxigraph.literal(String(n), oxigraph.namedNode(`${XSD}integer`));

export interface VoidFacts {
  readonly baseIri: string;
  /** The server's own origin, e.g. http://localhost:3000. */
  readonly origin: string;
  readonly labels: LabelIndex;
  readonly version: string;
  readonly graphCount: number;
  /** When and from which commit this version was loaded. */
  readonly loaded?: { readonly at: string; readonly sourceCommit?: string };
}

/**
 * The VoID description of the dataset.
 * @param facts - base, origin, index and version
 * @param mediaType - an RDF media type
 */
export function voidDescription(facts: VoidFacts, mediaType: string): string {
  const { namedNode: iri, literal, blankNode } = oxigraph;
  return build(
    (add) => {
      const ds = iri(`${facts.baseIri}dataset`);
      add(ds, RDF_TYPE, iri(`${VOID}Dataset`));
      add(ds, `${DCT}title`, literal('Cyber Diplomacy Graph', 'en'));
      add(
        ds,
        `${DCT}description`,
        literal(
          'A knowledge graph of UN cyber diplomacy: the norms of responsible State behaviour, the GGE and OEWG reports, states, critical-infrastructure sectors, incidents and attributions, and initiatives beyond the UN, each fact with its source.',
          'en',
        ),
      );
      add(ds, `${DCT}license`, iri('https://creativecommons.org/licenses/by/4.0/'));
      add(ds, `${DCT}hasVersion`, literal(facts.version));
      if (facts.loaded !== undefined) {
        // The version as an entity of its own: what a citation of "the graph as of X" points to.
        const version = iri(`${facts.baseIri}version/${facts.version}`);
        add(version, `${DCT}isVersionOf`, ds);
        add(version, `${DCT}identifier`, literal(facts.version));
        add(version, `${DCT}created`, literal(facts.loaded.at, iri(`${XSD}dateTime`)));
        add(ds, `${DCT}modified`, literal(facts.loaded.at, iri(`${XSD}dateTime`)));
        if (facts.loaded.sourceCommit !== undefined)
          add(version, `${DCT}source`, literal(`git commit ${facts.loaded.sourceCommit}`));
      }
      add(ds, `${VOID}triples`, int(facts.labels.tripleCount));
      add(
        ds,
        `${VOID}entities`,
        int([...facts.labels.classCounts.values()].reduce((a, b) => a + b, 0)),
      );
      add(ds, `${VOID}classes`, int(facts.labels.classCounts.size));
      add(ds, `${VOID}uriSpace`, literal(`${facts.baseIri}id/`));
      add(ds, `${VOID}sparqlEndpoint`, iri(`${facts.origin}/sparql`));
      add(ds, `${VOID}dataDump`, iri(`${facts.origin}/dumps/cyber-diplomacy.nq.gz`));
      add(ds, `${VOID}dataDump`, iri(`${facts.origin}/dumps/cyber-diplomacy.ttl.gz`));
      add(ds, `${VOID}exampleResource`, iri(`${facts.baseIri}id/norm/13k`));
      add(ds, `${VOID}vocabulary`, iri(`${facts.baseIri}ontology`));
      for (const [cls, count] of facts.labels.classCounts) {
        const part = blankNode();
        add(ds, `${VOID}classPartition`, part);
        add(part, `${VOID}class`, iri(cls));
        add(part, `${VOID}entities`, int(count));
      }
      for (const { predicate, host, count } of facts.labels.linksets.values()) {
        const ls = blankNode();
        add(ls, RDF_TYPE, iri(`${VOID}Linkset`));
        add(ls, `${VOID}subjectsTarget`, ds);
        add(ls, `${VOID}linkPredicate`, iri(predicate));
        add(ls, `${VOID}triples`, int(count));
        add(ls, `${DCT}description`, literal(`Links to ${host}`, 'en'));
        add(ds, `${VOID}subset`, ls);
      }
    },
    mediaType,
    facts.baseIri,
  );
}

const FORM_PROPERTY: Readonly<Record<string, string>> = {
  SELECT: 'select',
  ASK: 'ask',
  CONSTRUCT: 'construct',
  DESCRIBE: 'describe',
};

/**
 * The saved queries as SHACL-SPARQL executables.
 * @param queries - the catalogue
 * @param forms - each query's form, by id
 * @param baseIri - the configured base
 * @param endpoint - the endpoint they target
 * @param mediaType - an RDF media type
 */
export function sparqlExamples(
  queries: readonly SavedQuery[],
  forms: ReadonlyMap<string, string>,
  baseIri: string,
  endpoint: string,
  mediaType: string,
): string {
  const { namedNode: iri, literal } = oxigraph;
  return build(
    (add) => {
      for (const q of queries) {
        const form = forms.get(q.id) ?? 'SELECT';
        const ex = iri(`${baseIri}queries/${q.id}`);
        add(ex, RDF_TYPE, iri(`${SH}SPARQLExecutable`));
        add(
          ex,
          RDF_TYPE,
          iri(`${SH}SPARQL${form.charAt(0)}${form.slice(1).toLowerCase()}Executable`),
        );
        add(ex, `${RDFS}label`, literal(q.title, 'en'));
        add(ex, `${RDFS}comment`, literal(q.description || q.title, 'en'));
        add(ex, `${SH}${FORM_PROPERTY[form] ?? 'select'}`, literal(q.query));
        add(ex, `${SCHEMA}target`, iri(endpoint));
      }
    },
    mediaType,
    baseIri,
  );
}
