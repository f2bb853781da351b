/**
 * The gazetteer: every name the graph gives an entity of a linkable kind — labels, alternative
 * labels, notations, UN symbols, demonyms, and the short names of process classes ("GGE") — built
 * from the graph at start-up. Adding a label to the data teaches the linker; no code changes.
 */
import type oxigraph from 'oxigraph';
import { readStatements, type GraphStatements, type PlainTerm } from '../graph/statements.js';
import { isAcronym, tokenize } from './tokenize.js';
import { DCT, RDFS, RDF_TYPE, SKOS } from '../vocab.js';

/** The kinds of entity the linker links, by their class's local name. */
export const KIND_OF_CLASS: Readonly<Record<string, string>> = Object.freeze({
  Norm: 'norm',
  State: 'state',
  Document: 'document',
  Report: 'document',
  Resolution: 'document',
  Process: 'process',
  GroupOfGovernmentalExperts: 'process',
  OpenEndedWorkingGroup: 'process',
  PermanentMechanism: 'process',
  Sector: 'sector',
  Incident: 'incident',
  Initiative: 'initiative',
  Organization: 'organization',
  ThreatActor: 'actor',
});

/** Where a name comes from; decides its base confidence. */
export type NameSource =
  | 'label'
  | 'alt'
  | 'notation'
  | 'symbol'
  | 'demonym'
  | 'class'
  /** An incident's name without its attack noun ("Colonial Pipeline"): links only with one after it. */
  | 'incident-stem';

export const BASE_CONFIDENCE: Readonly<Record<NameSource, number>> = Object.freeze({
  symbol: 0.98,
  label: 0.95,
  notation: 0.9,
  alt: 0.88,
  class: 0.8,
  demonym: 0.6,
  'incident-stem': 0.85,
});

export interface GazetteerEntity {
  readonly iri: string;
  readonly kind: string;
  readonly label: string;
  /** Years the entity spans (processes, documents, incidents), for disambiguation by context. */
  readonly years: readonly number[];
  /** For a process: its final report, so "the 2015 GGE report" can reach the document. */
  readonly finalReport?: string;
  /** For a process: the resolution that set it up ("73/266 creates a new GGE"). */
  readonly establishedBy?: string;
  /** For a norm: its official wording (English), whose clauses texts quote as the conduct. */
  readonly officialText?: string;
  /** For a victim or a threat actor: the incidents it was the victim of, or took part in. */
  readonly incidents?: readonly string[];
}

export interface GazetteerName {
  readonly entity: number;
  readonly source: NameSource;
  /** The name as written in the graph. */
  readonly text: string;
  /** Token keys of the name. */
  readonly keys: readonly string[];
  /** Tokens of the name as written. */
  readonly raws: readonly string[];
  /** Per token: must the text match its case exactly (acronyms), or start upper-case (capitalised one-word names)? */
  readonly caseRule: readonly ('exact' | 'capital' | 'any')[];
  readonly lang: string;
}

/** An incident label that is a name plus an attack noun: "Colonial Pipeline ransomware attack". */
const INCIDENT_LABEL =
  /^(.+?)\s+(?:(?:ransomware|supply[- ]chain|cyber|DDoS|denial[- ]of[- ]service|phishing|e-mail|email)\s+)*(?:attack|cyberattack|cyber-attack|hack|compromise|breach|intrusion|campaign|incident)$/iu;

/** The common nouns of incident names, written in any case in prose. */
const ATTACK_WORD =
  /^(?:attacks?|cyberattacks?|hacks?|compromise|breach|intrusion|campaign|incident|ransomware|supply|chain)$/iu;

const OWL_SAME_AS = 'http://www.w3.org/2002/07/owl#sameAs';
/** Dates that place an entity in time. */
const YEAR_PREDICATES = (cdo: string): string[] => [
  `${cdo}startDate`,
  `${cdo}endDate`,
  `${DCT}issued`,
  `${DCT}date`,
  `${cdo}date`,
];
/** Links from an incident to its victims and actors. */
const INCIDENT_PREDICATES = (cdo: string): string[] => [`${cdo}victim`, `${cdo}involvedActor`];
/** Where names come from, in the order they are added. */
const NAME_SOURCES = (cdo: string): Array<[string, NameSource]> => [
  [`${SKOS}prefLabel`, 'label'],
  [`${RDFS}label`, 'label'],
  [`${DCT}title`, 'label'],
  [`${SKOS}altLabel`, 'alt'],
  [`${SKOS}notation`, 'notation'],
  [`${cdo}symbol`, 'symbol'],
  [`${cdo}demonym`, 'demonym'],
];

interface TrieNode {
  next: Map<string, TrieNode>;
  names: number[];
}

export class Gazetteer {
  public readonly entities: GazetteerEntity[] = [];
  public readonly names: GazetteerName[] = [];
  public readonly root: TrieNode = { next: new Map(), names: [] };
  /**
   * Names that hold only after their State's possessive: "Ministry of Finance" (from "Ministry of
   * Finance of Costa Rica") in "Costa Rica's Ministry of Finance". Name id → the State's entity.
   */
  public readonly scopedTo = new Map<number, number>();
  /** Norm keywords from names like "supply chain norm" / "the norm on CERTs": key tokens → norm entity. */
  public readonly normKeywords: Array<{ keys: string[]; entity: number }> = [];

  /**
   * The predicates `fromStatements` reads.
   * @param baseIri - the configured base
   */
  public static predicates(baseIri: string): string[] {
    const cdo = `${baseIri}ontology#`;
    return [
      RDF_TYPE,
      ...YEAR_PREDICATES(cdo),
      `${cdo}finalReport`,
      `${cdo}establishedBy`,
      `${cdo}officialText`,
      ...INCIDENT_PREDICATES(cdo),
      OWL_SAME_AS,
      ...NAME_SOURCES(cdo).map(([p]) => p),
      `${SKOS}altLabel`,
    ];
  }

  /**
   * Builds the gazetteer from the loaded graph (union of all graphs).
   * @param store - the dataset
   * @param baseIri - the configured base
   */
  public static fromStore(store: oxigraph.Store, baseIri: string): Gazetteer {
    return Gazetteer.fromStatements(readStatements(store, Gazetteer.predicates(baseIri)), baseIri);
  }

  /**
   * Builds the gazetteer from the dataset's statements (union of all graphs), one pass per
   * predicate.
   * @param graph - statements of at least `Gazetteer.predicates(baseIri)`
   * @param baseIri - the configured base
   */
  public static fromStatements(graph: GraphStatements, baseIri: string): Gazetteer {
    const g = new Gazetteer();
    const cdo = `${baseIri}ontology#`;
    const kindOf = (cls: string): string | undefined =>
      cls.startsWith(cdo) ? KIND_OF_CLASS[cls.slice(cdo.length)] : undefined;
    const index = new Map<string, number>();
    /** Subject → objects of one predicate, in statement order. */
    const bySubject = (p: string): Map<string, PlainTerm[]> => {
      const out = new Map<string, PlainTerm[]>();
      for (const q of graph.statements(p)) {
        const list = out.get(q.subject.value);
        if (list === undefined) out.set(q.subject.value, [q.object]);
        else list.push(q.object);
      }
      return out;
    };
    const literalsOf = (objects: readonly PlainTerm[] | undefined): PlainTerm[] =>
      (objects ?? []).filter((o) => o.termType === 'Literal');
    const types = bySubject(RDF_TYPE);
    const prefLabels = bySubject(`${SKOS}prefLabel`);
    const rdfsLabels = bySubject(`${RDFS}label`);
    const altLabels = bySubject(`${SKOS}altLabel`);
    const finalReports = bySubject(`${cdo}finalReport`);
    const establishers = bySubject(`${cdo}establishedBy`);
    const officialTexts = bySubject(`${cdo}officialText`);
    const dates = YEAR_PREDICATES(cdo).map(bySubject);
    const years = (iri: string): number[] => {
      const out = new Set<number>();
      for (const byS of dates) {
        for (const l of literalsOf(byS.get(iri))) {
          const y = /^(\d{4})/u.exec(l.value);
          if (y?.[1] !== undefined) out.add(Number(y[1]));
        }
      }
      return [...out].sort();
    };
    for (const q of graph.statements(RDF_TYPE)) {
      if (q.subject.termType !== 'NamedNode' || q.object.termType !== 'NamedNode') continue;
      const kind = kindOf(q.object.value);
      if (kind === undefined || index.has(q.subject.value)) continue;
      const subject = q.subject.value;
      const label =
        literalsOf(prefLabels.get(subject)).find((l) => l.language === 'en')?.value ??
        literalsOf(rdfsLabels.get(subject)).find((l) => l.language === 'en' || l.language === '')
          ?.value ??
        subject;
      const finalReport = finalReports.get(subject)?.[0]?.value;
      const establishedBy = establishers.get(subject)?.[0]?.value;
      const officialText =
        kind === 'norm'
          ? literalsOf(officialTexts.get(subject)).find((l) => l.language === 'en')?.value
          : undefined;
      index.set(subject, g.entities.length);
      g.entities.push({
        iri: subject,
        kind,
        label,
        years: years(subject),
        ...(finalReport === undefined ? {} : { finalReport }),
        ...(officialText === undefined ? {} : { officialText }),
        ...(establishedBy === undefined ? {} : { establishedBy }),
      });
    }
    // Victims and actors know their incidents: "the SolarWinds hack", "the Nobelium attack".
    const incidents = new Map<number, Set<string>>();
    for (const p of INCIDENT_PREDICATES(cdo)) {
      for (const q of graph.statements(p)) {
        const who = index.get(q.object.value);
        if (who === undefined || !index.has(q.subject.value)) continue;
        let set = incidents.get(who);
        if (set === undefined) incidents.set(who, (set = new Set()));
        set.add(q.subject.value);
      }
    }
    for (const [who, set] of incidents)
      (g.entities[who] as { incidents?: string[] }).incidents = [...set];
    // Entities the data says are the same (owl:sameAs) share one entry: the names of the subject go
    // to the object, so "Microsoft" is one organisation, not two competing ones.
    for (const q of graph.statements(OWL_SAME_AS)) {
      const target = index.get(q.object.value);
      if (target !== undefined && index.has(q.subject.value)) index.set(q.subject.value, target);
    }
    for (const [predicate, source] of NAME_SOURCES(cdo)) {
      for (const q of graph.statements(predicate)) {
        const e = index.get(q.subject.value);
        if (e === undefined || q.object.termType !== 'Literal') continue;
        // A state's three-letter notation ("FRA") is a code, not a name people write in prose.
        if (source === 'notation' && g.entities[e]!.kind === 'state') continue;
        g.addName(e, source, q.object.value, q.object.language);
      }
    }
    // Short names of process classes ("GGE", "OEWG") name every instance: context decides which.
    for (const [entityIndex, entity] of g.entities.entries()) {
      if (entity.kind !== 'process') continue;
      for (const t of types.get(entity.iri) ?? []) {
        if (t.termType === 'Literal') continue;
        for (const labels of [rdfsLabels, altLabels]) {
          for (const l of literalsOf(labels.get(t.value)))
            g.addName(entityIndex, 'class', l.value, l.language);
        }
      }
    }
    g.scopeNames();
    return g;
  }

  /** Adds "Ministry of Finance" for "Ministry of Finance of Costa Rica", valid after Costa Rica's. */
  private scopeNames(): void {
    const states = new Map<string, number>();
    for (const n of this.names)
      if (this.entities[n.entity]!.kind === 'state' && n.source !== 'demonym' && n.lang === 'en')
        states.set(n.text, n.entity);
    for (const n of [...this.names]) {
      if (this.entities[n.entity]!.kind !== 'organization') continue;
      if (n.source !== 'label' && n.source !== 'alt') continue;
      const m = /^(\S+(?:\s\S+)*?\s(?:of|for)\s\S+(?:\s\S+)*)\s+of\s+(?:the\s+)?(.+)$/u.exec(
        n.text,
      );
      const state = m === null ? undefined : states.get(m[2]!);
      if (m === null || state === undefined) continue;
      const from = this.names.length;
      this.addName(n.entity, 'alt', m[1]!, n.lang);
      for (let id = from; id < this.names.length; id++) this.scopedTo.set(id, state);
    }
  }

  private addName(entity: number, source: NameSource, text: string, lang: string): void {
    // "Colonial Pipeline ransomware attack (2021)", "Health Service Executive (Ireland)": texts leave
    // the qualifier out; an acronym in it ("(UNODA)") is a name too.
    const dated = /^(.+?)\s*\(([^()]+)\)$/u.exec(text);
    // A letter or number in brackets ("norm (a)", "norm 13(k)") is the name itself, not a qualifier.
    if (dated?.[1] !== undefined && source !== 'incident-stem' && dated[2]!.trim().length > 2) {
      this.addName(entity, source, dated[1], lang);
      // "Global Commission on the Stability of Cyberspace (GCSC)": texts write the name and its
      // acronym as two names, each its own mention; the whole is not a third name.
      if (isAcronym(dated[2]!) && !/\s/u.test(dated[2]!)) {
        this.addName(entity, 'alt', dated[2]!, lang);
        return;
      }
    }
    // "Foreign, Commonwealth & Development Office" is also written with "and".
    if (/\s&\s/u.test(text)) this.addName(entity, source, text.replace(/\s&\s/gu, ' and '), lang);
    const kindOfEntity = this.entities[entity]!.kind;
    if (kindOfEntity === 'organization' && (source === 'label' || source === 'alt')) {
      // "Colonial Pipeline Company", "UnitedHealth Group": the company without its legal suffix.
      const company = /^(.+?)\s+(?:Company|Inc\.?|Corporation|Corp\.?|Ltd\.?|LLC|plc|Group)$/u.exec(
        dated?.[1] ?? text,
      );
      if (company?.[1] !== undefined && company[1].length > 3)
        this.addName(entity, 'alt', company[1], lang);
      // "United Nations Office for Disarmament Affairs" → "Office for Disarmament Affairs".
      const un = /^(?:United Nations|UN)\s+((?:Office|Department|Institute|Commission)\b.+)$/u.exec(
        dated?.[1] ?? text,
      );
      if (un?.[1] !== undefined) this.addName(entity, 'alt', un[1], lang);
      // "U.S. Department of Homeland Security" → "Department of Homeland Security".
      const national = /^(?:U\.S\.|US|UK|U\.K\.)\s+(\S+(?:\s+\S+){2,})$/u.exec(dated?.[1] ?? text);
      if (national?.[1] !== undefined) this.addName(entity, 'alt', national[1], lang);
    }
    // "… ransomware attack": the name before the attack noun is the incident when an attack noun follows.
    if (this.entities[entity]!.kind === 'incident' && source !== 'incident-stem') {
      const stem = INCIDENT_LABEL.exec(dated?.[1] ?? text)?.[1];
      if (stem !== undefined && !/^(?:the|a|an)$/iu.test(stem))
        this.addName(entity, 'incident-stem', stem, lang);
    }
    let tokens = tokenize(text);
    // A leading article is not part of the name as texts write it ("the norm on CERTs" → "norm on CERTs").
    if (tokens.length > 1 && /^(?:the|le|la|les|l)$/u.test(tokens[0]!.key))
      tokens = tokens.slice(1);
    if (tokens.length === 0 || tokens.length > 24) return;
    // Acronyms match in case; a capitalised word of a proper name must be capitalised in the text too
    // ("The Dialogue" is an organisation, "the dialogue" is not). Sectors and norms are named in
    // ordinary words, so their names match in any case.
    const kind = this.entities[entity]!.kind;
    // French demonyms are adjectives, written in lower case ("le Gouvernement français").
    const adjective = source === 'demonym' && lang === 'fr';
    const proper = kind !== 'sector' && kind !== 'norm' && !adjective;
    const caseRule = tokens.map((t, i) =>
      isAcronym(t.raw)
        ? 'exact'
        : (proper || (tokens.length === 1 && !adjective)) &&
            /^\p{Lu}/u.test(t.raw) &&
            // "SolarWinds Compromise" as a title; "the SolarWinds compromise" in prose.
            !(i > 0 && kind === 'incident' && ATTACK_WORD.test(t.raw)) &&
            // "an open-ended working group": a long descriptive name is a name in any case.
            !(source === 'class' && tokens.length >= 3)
          ? 'capital'
          : // A short class name ("Permanent mechanism") is a name only when written as one.
            source === 'class' && tokens.length < 3 && i === 0
            ? 'capital'
            : 'any',
    );
    const keys = tokens.map((t) => t.key);
    // One-letter or purely numeric names link nothing on their own.
    if (keys.length === 1 && (keys[0]!.length < 2 || /^\d+$/u.test(keys[0]!))) return;
    const id = this.names.length;
    this.names.push({ entity, source, text, keys, raws: tokens.map((t) => t.raw), caseRule, lang });
    let node = this.root;
    for (const k of keys) {
      let child = node.next.get(k);
      if (child === undefined) {
        child = { next: new Map(), names: [] };
        node.next.set(k, child);
      }
      node = child;
    }
    node.names.push(id);
    if (this.entities[entity]!.kind === 'norm' && source === 'alt') {
      const m =
        /^(?:the\s+)?norms?\s+(?:on|against|of|for)\s+(.+)$/iu.exec(text) ??
        /^(?:la\s+)?normes?\s+(?:sur|relative\s+(?:aux?|à))\s+(?:les?\s+|la\s+|l['’])?(.+)$/iu.exec(
          text,
        ) ??
        /^(.+?)\s+norm$/iu.exec(text);
      const kw = m?.[1];
      if (kw !== undefined)
        this.normKeywords.push({ keys: tokenize(kw).map((t) => t.key), entity });
    }
  }
}
