/**
 * The label index: built once from the graph at start-up, it gives every IRI a readable label and
 * its types, answers autocomplete over labels, alternative labels and notations in well under a
 * millisecond, and keeps the entity counts per class for the home page.
 *
 * The user graphs, which change while the server runs, sit in an overlay: a second, small index
 * rebuilt from them (lazily, on the first look-up after a write) and consulted after this one.
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

type Linkset = { predicate: string; host: string; count: number };

export class LabelIndex {
  private readonly entries = new Map<string, Entry>();
  /** For prefix search, sorted by key: normalized names (and their later words), … */
  private keyTexts: string[] = [];
  /** … the IRI each names … */
  private keyIris: string[] = [];
  /** … and the name as written. */
  private keyNames: string[] = [];
  private readonly ownClassCounts = new Map<string, number>();
  private ownTripleCount = 0;
  private ownPredicates: string[] = [];
  private readonly ownLinksets = new Map<string, Linkset>();
  /** Builds the overlay (the user graphs' index) when it is out of date. */
  private overlaySource: (() => LabelIndex) | undefined;
  private overlayIndex: LabelIndex | undefined;

  /**
   * Sets where the overlay comes from, and marks it out of date: it is rebuilt on the next look-up.
   * @param source - builds an index of the user graphs
   */
  public setOverlay(source: () => LabelIndex): void {
    this.overlaySource = source;
    this.overlayIndex = undefined;
  }

  private get overlay(): LabelIndex | undefined {
    if (this.overlayIndex === undefined && this.overlaySource !== undefined)
      this.overlayIndex = this.overlaySource();
    return this.overlayIndex;
  }

  /** Entities per class: class IRI → count. */
  public get classCounts(): ReadonlyMap<string, number> {
    const overlay = this.overlay;
    if (overlay === undefined) return this.ownClassCounts;
    const counts = new Map(this.ownClassCounts);
    for (const [iri, e] of overlay.entries) {
      const known = this.entries.get(iri)?.types;
      for (const t of e.types ?? [])
        if (known?.has(t) !== true) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * States the whole dataset's size and predicates, for an index built from part of it (a remote
   * store's labels).
   * @param tripleCount - statements in the dataset
   * @param predicates - every predicate it uses, sorted
   */
  public setTotals(tripleCount: number, predicates: string[]): void {
    this.ownTripleCount = tripleCount;
    this.ownPredicates = predicates;
  }

  public get tripleCount(): number {
    return this.ownTripleCount + (this.overlay?.ownTripleCount ?? 0);
  }

  /** Every predicate used in the data (for query completion). */
  public get predicates(): string[] {
    const overlay = this.overlay;
    if (overlay === undefined) return this.ownPredicates;
    return [...new Set([...this.ownPredicates, ...overlay.ownPredicates])].sort();
  }

  /** Links out to other datasets: `predicate host` → count (for VoID linksets). */
  public get linksets(): ReadonlyMap<string, Linkset> {
    const overlay = this.overlay;
    if (overlay === undefined) return this.ownLinksets;
    const merged = new Map([...this.ownLinksets].map(([k, v]) => [k, { ...v }]));
    for (const [k, v] of overlay.ownLinksets) {
      const entry = merged.get(k);
      if (entry === undefined) merged.set(k, { ...v });
      else entry.count += v.count;
    }
    return merged;
  }

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
    index.ownTripleCount = graph.quadCount;
    const seenTypes = new Set<string>();
    for (const q of graph.statements(RDF_TYPE)) {
      if (q.subject.termType !== 'NamedNode' || q.object.termType !== 'NamedNode') continue;
      const key = `${q.subject.value} ${q.object.value}`;
      if (seenTypes.has(key)) continue;
      seenTypes.add(key);
      (index.entry(q.subject.value).types ??= new Set()).add(q.object.value);
      index.ownClassCounts.set(q.object.value, (index.ownClassCounts.get(q.object.value) ?? 0) + 1);
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
        const entry = index.ownLinksets.get(key) ?? { predicate, host, count: 0 };
        entry.count++;
        index.ownLinksets.set(key, entry);
      }
    }
    index.ownPredicates = [...graph.predicates];
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
    return this.entries.has(iri) || (this.overlay?.entries.has(iri) ?? false);
  }

  /**
   * The best label for an IRI: English, then untagged, then any; undefined when it has none.
   * The curated graphs' labels come before the user graphs'.
   * @param iri - the IRI
   * @param lang - preferred language
   */
  public label(iri: string, lang = 'en'): string | undefined {
    const own = this.entries.get(iri)?.labels;
    const extra = this.overlay?.entries.get(iri)?.labels;
    for (const labels of [own, extra]) {
      if (labels === undefined || labels.size === 0) continue;
      const found = labels.get(lang) ?? labels.get('en') ?? labels.get('');
      if (found !== undefined) return found;
    }
    return (own?.size ?? 0) > 0 ? own!.values().next().value : extra?.values().next().value;
  }

  /** The types recorded for an IRI. */
  public types(iri: string): string[] {
    const own = this.entries.get(iri)?.types ?? [];
    const extra = this.overlay?.entries.get(iri)?.types ?? [];
    return [...new Set([...own, ...extra])];
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
    const scored = this.matches(q, limit);
    for (const [iri, match] of this.overlay?.matches(q, limit) ?? []) {
      const prev = scored.get(iri);
      if (
        prev === undefined ||
        match.score < prev.score ||
        (match.score === prev.score && match.matched.length < prev.matched.length)
      )
        scored.set(iri, match);
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

  /** This index's own matches for a normalized query: IRI → best score and the name that matched. */
  private matches(q: string, limit: number): Map<string, { score: number; matched: string }> {
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
    return scored;
  }

  /** Classes: those with instances, and those the ontology declares. */
  public classes(): string[] {
    const declared = [...this.entries.entries(), ...(this.overlay?.entries.entries() ?? [])]
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
    const out = new Map<string, { iri: string; label: string }>();
    for (const entries of [this.entries, this.overlay?.entries ?? new Map<string, Entry>()]) {
      for (const [iri, e] of entries) {
        if (e.types?.has(classIri) === true && !out.has(iri))
          out.set(iri, { iri, label: this.label(iri) ?? iri });
      }
    }
    return [...out.values()].sort((a, b) => a.label.localeCompare(b.label, 'en'));
  }
}
