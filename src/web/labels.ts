/**
 * The label index: built once from the graph at start-up, it gives every IRI a readable label and
 * its types, answers autocomplete over labels, alternative labels and notations in well under a
 * millisecond, and keeps the entity counts per class for the home page.
 */
import type oxigraph from 'oxigraph';
import { readStatements, type GraphStatements } from '../graph/statements.js';
import { DCT, RDFS, RDF_TYPE, SKOS } from '../vocab.js';

/** Predicates that name a thing, best first. */
export const LABEL_PREDICATES = [
  `${SKOS}prefLabel`,
  `${RDFS}label`,
  `${DCT}title`,
  'http://xmlns.com/foaf/0.1/name',
  'https://schema.org/name',
] as const;
/** Predicates that give other names people search by. */
export const ALT_PREDICATES = [`${SKOS}altLabel`, `${SKOS}notation`] as const;

/** Predicates that link our entities to other datasets. */
export const LINK_PREDICATES = [
  'http://www.w3.org/2002/07/owl#sameAs',
  `${SKOS}exactMatch`,
  `${SKOS}closeMatch`,
  'http://xmlns.com/foaf/0.1/page',
] as const;

export interface Suggestion {
  readonly iri: string;
  readonly label: string;
  /** The name that matched (a label, alternative label or notation). */
  readonly matched: string;
  readonly types: readonly string[];
}

/** What the index knows of an IRI; each collection made when first needed (most have one). */
interface Entry {
  labels?: Map<string, string>; // language ('' for none) → label
  names?: Set<string>;
  types?: Set<string>;
}

/** Folds case, accents, punctuation and spacing so "13(k)", "13 (K)" and "13k" meet. */
export function normalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export class LabelIndex {
  private readonly entries = new Map<string, Entry>();
  /** For prefix search, sorted by key: normalized names (and their later words), … */
  private keyTexts: string[] = [];
  /** … the IRI each names … */
  private keyIris: string[] = [];
  /** … and the name as written. */
  private keyNames: string[] = [];
  /** Entities per class: class IRI → count. */
  public readonly classCounts = new Map<string, number>();
  public tripleCount = 0;
  /** Every predicate used in the data (for query completion). */
  public predicates: string[] = [];
  /** Links out to other datasets: `predicate host` → count (for VoID linksets). */
  public readonly linksets = new Map<string, { predicate: string; host: string; count: number }>();

  /** The predicates `fromStatements` reads. */
  public static readonly PREDICATES: readonly string[] = [
    RDF_TYPE,
    ...LABEL_PREDICATES,
    ...ALT_PREDICATES,
    ...LINK_PREDICATES,
  ];

  /**
   * Builds the index from a store (union of all graphs).
   * @param store - the loaded dataset
   */
  public static fromStore(store: oxigraph.Store): LabelIndex {
    return LabelIndex.fromStatements(readStatements(store, LabelIndex.PREDICATES));
  }

  /**
   * Builds the index from the dataset's statements (union of all graphs).
   * @param graph - statements of at least `LabelIndex.PREDICATES`
   */
  public static fromStatements(graph: GraphStatements): LabelIndex {
    const index = new LabelIndex();
    index.tripleCount = graph.quadCount;
    const seenTypes = new Set<string>();
    for (const q of graph.statements(RDF_TYPE)) {
      if (q.subject.termType !== 'NamedNode' || q.object.termType !== 'NamedNode') continue;
      const key = `${q.subject.value} ${q.object.value}`;
      if (seenTypes.has(key)) continue;
      seenTypes.add(key);
      (index.entry(q.subject.value).types ??= new Set()).add(q.object.value);
      index.classCounts.set(q.object.value, (index.classCounts.get(q.object.value) ?? 0) + 1);
    }
    for (const predicate of [...LABEL_PREDICATES].reverse()) {
      for (const q of graph.statements(predicate)) {
        if (q.subject.termType !== 'NamedNode' || q.object.termType !== 'Literal') continue;
        const e = index.entry(q.subject.value);
        (e.labels ??= new Map()).set(q.object.language, q.object.value);
        (e.names ??= new Set()).add(q.object.value);
      }
    }
    for (const predicate of ALT_PREDICATES) {
      for (const q of graph.statements(predicate)) {
        if (q.subject.termType !== 'NamedNode' || q.object.termType !== 'Literal') continue;
        (index.entry(q.subject.value).names ??= new Set()).add(q.object.value);
      }
    }
    for (const predicate of LINK_PREDICATES) {
      for (const q of graph.statements(predicate)) {
        if (q.object.termType !== 'NamedNode' || !/^https?:/u.test(q.object.value)) continue;
        const host = new URL(q.object.value).host;
        const key = `${predicate} ${host}`;
        const entry = index.linksets.get(key) ?? { predicate, host, count: 0 };
        entry.count++;
        index.linksets.set(key, entry);
      }
    }
    index.predicates = [...graph.predicates];
    const texts: string[] = [];
    const iris: string[] = [];
    const names: string[] = [];
    const add = (text: string, iri: string, name: string): void => {
      texts.push(text);
      iris.push(iri);
      names.push(name);
    };
    for (const [iri, e] of index.entries) {
      for (const name of e.names ?? []) {
        const n = normalize(name);
        if (n === '') continue;
        add(n, iri, name);
        // Also index from each later word, so "Call" finds "Paris Call".
        const words = n.split(' ');
        for (let i = 1; i < words.length; i++) add(words.slice(i).join(' '), iri, name);
      }
    }
    // By key, keeping the order met among equal keys.
    const order = Array.from(texts.keys()).sort((i, j) =>
      texts[i]! < texts[j]! ? -1 : texts[i]! > texts[j]! ? 1 : i - j,
    );
    index.keyTexts = order.map((i) => texts[i]!);
    index.keyIris = order.map((i) => iris[i]!);
    index.keyNames = order.map((i) => names[i]!);
    return index;
  }

  private entry(iri: string): Entry {
    let e = this.entries.get(iri);
    if (e === undefined) {
      e = {};
      this.entries.set(iri, e);
    }
    return e;
  }

  /** True when the graph knows anything typed or named under this IRI. */
  public has(iri: string): boolean {
    return this.entries.has(iri);
  }

  /**
   * The best label for an IRI: English, then untagged, then any; undefined when it has none.
   * @param iri - the IRI
   * @param lang - preferred language
   */
  public label(iri: string, lang = 'en'): string | undefined {
    const labels = this.entries.get(iri)?.labels;
    if (labels === undefined || labels.size === 0) return undefined;
    return labels.get(lang) ?? labels.get('en') ?? labels.get('') ?? labels.values().next().value;
  }

  /** The types recorded for an IRI. */
  public types(iri: string): string[] {
    return [...(this.entries.get(iri)?.types ?? [])];
  }

  /**
   * Autocomplete: names starting with the query (any word of them), best first.
   * Exact matches rank first, then whole-name prefixes, then word prefixes; one suggestion per entity.
   * @param query - what the user typed
   * @param limit - most suggestions
   */
  public suggest(query: string, limit = 10): Suggestion[] {
    const q = normalize(query);
    if (q === '') return [];
    let lo = 0;
    let hi = this.keyTexts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keyTexts[mid]! < q) lo = mid + 1;
      else hi = mid;
    }
    const scored = new Map<string, { score: number; matched: string }>();
    for (let i = lo; i < this.keyTexts.length; i++) {
      const key = this.keyTexts[i]!;
      const iri = this.keyIris[i]!;
      const name = this.keyNames[i]!;
      if (!key.startsWith(q)) break;
      const full = normalize(name);
      const score = full === q ? 0 : full.startsWith(q) ? 1 : 2;
      const prev = scored.get(iri);
      if (
        prev === undefined ||
        score < prev.score ||
        (score === prev.score && name.length < prev.matched.length)
      ) {
        scored.set(iri, { score, matched: name });
      }
      if (scored.size > limit * 20) break;
    }
    return [...scored.entries()]
      .sort(
        ([ia, a], [ib, b]) =>
          a.score - b.score || a.matched.length - b.matched.length || (ia < ib ? -1 : 1),
      )
      .slice(0, limit)
      .map(([iri, { matched }]) => ({
        iri,
        label: this.label(iri) ?? matched,
        matched,
        types: this.types(iri),
      }));
  }

  /** Classes: those with instances, and those the ontology declares. */
  public classes(): string[] {
    const declared = [...this.entries.entries()]
      .filter(
        ([, e]) =>
          e.types?.has('http://www.w3.org/2002/07/owl#Class') === true ||
          e.types?.has(`${RDFS}Class`) === true,
      )
      .map(([iri]) => iri);
    return [...new Set([...this.classCounts.keys(), ...declared])].sort();
  }

  /** Instances of a class, with labels, sorted by label. */
  public instancesOf(classIri: string): Array<{ iri: string; label: string }> {
    const out: Array<{ iri: string; label: string }> = [];
    for (const [iri, e] of this.entries) {
      if (e.types?.has(classIri) === true) out.push({ iri, label: this.label(iri) ?? iri });
    }
    return out.sort((a, b) => a.label.localeCompare(b.label, 'en'));
  }
}
