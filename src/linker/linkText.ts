/**
 * Linking a text to the graph: every mention of a norm, state, document, process, sector, incident,
 * initiative, organisation or threat actor, with character offsets, the entity, a confidence and the
 * rule that produced it. Pure and synchronous: the gazetteer in, mentions out.
 */
import type { Gazetteer, GazetteerEntity, GazetteerName } from './gazetteer.js';
import { BASE_CONFIDENCE } from './gazetteer.js';
import { normParaphrases, presentedAsNorm } from './paraphrase.js';
import { tokenize, type Token } from './tokenize.js';

export interface Mention {
  /** Offset of the first character (UTF-16 index). */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
  /** The exact surface text: `text.slice(start, end)`. */
  readonly text: string;
  readonly iri: string;
  readonly kind: string;
  /** The entity's label, for display. */
  readonly label: string;
  /** 0–1. */
  readonly confidence: number;
  /** Which rule linked it, e.g. `name:alt "the norm on CERTs"` or `context:year 2021`. */
  readonly rule: string;
}

export interface LinkOptions {
  /** The year the text was written, when known: resolves "the GGE" to the round of that time. */
  readonly documentYear?: number;
  /** Drop mentions below this confidence (default 0.5). */
  readonly minConfidence?: number;
}

/** "resolution 53/70", "General Assembly resolution 68/243", "résolution 73/27". */
const RESOLUTION =
  /\b(?:(?:General Assembly|GA|UNGA)\s+)?(?:[Rr]esolution|RESOLUTION|[Rr]ésolution)\s+(?:A\/RES\/)?(\d{2,3})\/(\d{1,3})\b/gu;

const symbolCache = new WeakMap<Gazetteer, Map<string, number>>();

/** Entities by their UN symbol. */
function resolutionsBySymbol(g: Gazetteer): Map<string, number> {
  let map = symbolCache.get(g);
  if (map === undefined) {
    map = new Map();
    for (const n of g.names) if (n.source === 'symbol') map.set(n.text, n.entity);
    symbolCache.set(g, map);
  }
  return map;
}

const agendaTitleCache = new WeakMap<Gazetteer, Set<number>>();

/**
 * Titles that name no one document: a long document title that several documents share, or that is
 * part of another's title ("Developments in the field of information and telecommunications in the
 * context of international security" is an agenda item, and the title of many resolutions and reports).
 * Such a title links nothing, and nothing inside it links either.
 */
function agendaTitles(g: Gazetteer): Set<number> {
  const cached = agendaTitleCache.get(g);
  if (cached !== undefined) return cached;
  const titles = g.names
    .map((n, id) => ({ n, id, joined: ` ${n.keys.join(' ')} ` }))
    .filter(({ n }) => g.entities[n.entity]!.kind === 'document' && n.keys.length >= 6);
  const out = new Set<number>();
  for (const a of titles) {
    if (
      titles.some(
        (b) => b.n.entity !== a.n.entity && (b.joined === a.joined || b.joined.includes(a.joined)),
      )
    )
      out.add(a.id);
  }
  agendaTitleCache.set(g, out);
  return out;
}

interface Candidate {
  readonly first: number;
  readonly last: number;
  readonly names: readonly number[];
  readonly plural: boolean;
}

/** Kinds in order of preference when one name names entities of several kinds. */
const KIND_ORDER = [
  'norm',
  'state',
  'document',
  'process',
  'initiative',
  'incident',
  'actor',
  'organization',
  'sector',
];

/** Contexts that say a name means something the graph does not hold (a US state, not the State). */
const REJECT_CONTEXT: ReadonlyArray<{ iri: RegExp; context: RegExp }> = [
  {
    iri: /\/id\/state\/GEO$/u,
    context:
      /\b(?:Atlanta|Savannah|U\.?S\.? state|state of Georgia|Georgia Tech|Governor|Peach State|county)\b/iu,
  },
  // "Alpharetta, Georgia": a town, then the US state.
  { iri: /\/id\/state\/GEO$/u, context: /\b(?!Tbilisi|Batumi|Kutaisi)\p{Lu}\p{Ll}+, Georgia\b/u },
];

/**
 * Names of things the graph does not hold that contain names it does: the longer name wins, so
 * "United Nations Charter" links nothing (not even "United Nations").
 */
const BLOCKING_NAMES =
  /\b(?:United Nations Charter|UN Charter|Charter of the United Nations|Charte des Nations [Uu]nies|Paris Peace Forum|Paris Agreement|Budapest Convention|North Atlantic Council|[Ii]nformation and [Tt]elecommunications|Microsoft Exchange(?! (?:hack|attack|compromise|breach))|(?:UN|U\.N\.|United Nations) (?:General Assembly|Secretary-General|Security Council))\b/gu;

/** Words that may stand between "norm" and what it protects: "the norm on protecting CERTs". */
const NORM_CONNECTORS = new Set([
  'damag',
  'target',
  'protect',
  'relative',
  'aux',
  'au',
  'sur',
  'le',
  'la',
  'les',
  'des',
  'de',
  'du',
  'l',
  'd',
  'on',
  'of',
  'for',
  'to',
  'the',
  'against',
  'protect',
  'protection',
  'regard',
  'concern',
  'about',
  'that',
  'not',
  'harm',
  'damage',
  'attack',
  'and',
]);

/** "the sixth GGE", "le premier GTCNL": the nth round. */
const ORDINALS: Readonly<Record<string, number>> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  '1st': 1,
  '2nd': 2,
  '3rd': 3,
  '4th': 4,
  '5th': 5,
  '6th': 6,
  premier: 1,
  première: 1,
  deuxième: 2,
  seconde: 2,
  troisième: 3,
  quatrième: 4,
  cinquième: 5,
  sixième: 6,
};
const ORDINAL_BEFORE =
  /\b(first|second|third|fourth|fifth|sixth|seventh|1st|2nd|3rd|4th|5th|6th|premier|première|deuxième|seconde|troisième|quatrième|cinquième|sixième)\s+$/iu;
/** "the 2015 Group of Governmental Experts": the round of that year. */
const YEAR_BEFORE = /\b((?:19|20)\d\d)(?:[/–-]((?:19|20)?\d\d))?\s+$/u;
/** "the last GGE", "the previous OEWG": the round before the one of the text's time. */
const LAST_BEFORE = /\b(?:last|previous|latest|most recent|preceding)\s+$/iu;
/** "Report of the Group of Governmental Experts on …, A/70/174": a citation naming its symbol later on. */
const REPORT_OF_BEFORE = /\bReport of the\s+$/u;
/** "the OEWG report", "the OEWG and GGE reports": a round that has reported. */
const REPORT_AFTER = /^\s+(?:and\s+\S+\s+)?(?:final\s+|consensus\s+|annual\s+)?reports?\b/iu;

/** A group's short name used for the whole series of groups: "GGE dialogues", "the series of GGEs". */
const SERIES_AFTER =
  /^\s+(?:dialogues|processes|rounds|series|format|formats|mandates|tradition)\b/iu;
const SERIES_BEFORE =
  /\b(?:series of|successive|previous|past|all|each|every|several|various|consecutive)\s+(?:the\s+)?$/iu;

/** A noun after a sector word that it modifies ("health care organizations"). */
const SECTOR_HEAD_AFTER =
  /^[ \u00a0]+(?:organi[sz]ations?|providers?|facilit(?:y|ies)|systems?|institutions?|operators?|companies|workers|professionals|networks?|entities)\b/iu;

/** Words that make a demonym name the State acting: "the Russian government". */
const STATE_ACTORS =
  /^\s+(?:government|authorities|officials|ministry|foreign ministry|delegation|state)\b(?!-)(?!\s+of\b)/iu;
/** The same in French, where the noun comes first: "le Gouvernement français". */
const STATE_ACTORS_FR = /\b(?:[Gg]ouvernement|[Aa]utorités|[Dd]élégation|[Mm]inistère)\s+$/u;

/** Nouns that turn a victim or an actor into its incident: "the SolarWinds hack". */
const INCIDENT_NOUN =
  /^\s+(?:(?:ransomware|supply[- ]chain|cyber|DDoS|denial[- ]of[- ]service|phishing|wiper|malware)[- ]?)*(?:hack|attack|cyberattack|cyber-attack|breach|compromise|intrusion|incident|campaign)\b/iu;

/** A threat actor's own head noun: "the Conti group". */
const ACTOR_NOUN = /^[ \u00a0]+(?:group|gang|crew|collective)\b/u;
/** An incident name that already ends with an attack word. */
const ATTACK_END =
  /(?:hack|attack|cyberattack|cyber-attack|breach|compromise|intrusion|incident|campaign|ransomware|outbreak|operation)s?$/iu;

/** What may stand between two tokens of one name: spaces, hyphens, dashes, brackets, slashes, dots. */
const GAP = /^[\s\-‐‑–—()[\]/.,'’]{0,4}$/u;
/** A possessive inside a name, as in "Democratic People's Republic of Korea". */
const POSSESSIVE_GAP = /^['’]s\s{1,2}$/u;

function gapOk(text: string, a: Token, b: Token): boolean {
  const gap = text.slice(a.end, b.start);
  return (GAP.test(gap) || POSSESSIVE_GAP.test(gap)) && !gap.includes('\n\n');
}

function caseOk(name: GazetteerName, tokens: readonly Token[], first: number): boolean {
  for (let i = 0; i < name.keys.length; i++) {
    const rule = name.caseRule[i];
    const raw = tokens[first + i]!.raw;
    const written = raw.replace(/\./gu, '');
    const named = name.raws[i]!.replace(/\./gu, '');
    // An acronym matches as written, in capitals, or with a plural "s" ("GGEs").
    if (
      rule === 'exact' &&
      written !== named &&
      written !== named.toUpperCase() &&
      !(
        i === name.keys.length - 1 &&
        (written === `${named}s` || written === `${named.toUpperCase()}s`)
      )
    )
      return false;
    if (rule === 'capital' && !/^\p{Lu}/u.test(raw)) return false;
  }
  return true;
}

const landmarkCache = new WeakMap<
  Gazetteer,
  { normByLetter: Map<string, GazetteerEntity>; telecoms: GazetteerEntity | undefined }
>();

/** Entities some rules name directly, found once per gazetteer: the norms by letter, telecoms. */
function landmarks(g: Gazetteer): {
  normByLetter: Map<string, GazetteerEntity>;
  telecoms: GazetteerEntity | undefined;
} {
  let found = landmarkCache.get(g);
  if (found === undefined) {
    const normByLetter = new Map<string, GazetteerEntity>();
    for (const e of g.entities) {
      const letter = e.kind === 'norm' ? /\/13([a-k])$/u.exec(e.iri)?.[1] : undefined;
      if (letter !== undefined) normByLetter.set(letter, e);
    }
    const telecoms = g.entities.find((e) => e.iri.endsWith('/sector/telecommunications'));
    found = { normByLetter, telecoms };
    landmarkCache.set(g, found);
  }
  return found;
}

/** A mention of `entity` at `start`..`end` of `text`, found by `rule`. */
function mentionOf(
  text: string,
  entity: GazetteerEntity,
  start: number,
  end: number,
  confidence: number,
  rule: string,
): Mention {
  const { iri, kind, label } = entity;
  return { start, end, text: text.slice(start, end), iri, kind, label, confidence, rule };
}

/** Every span of tokens that spells a name in the gazetteer (plural of the last token allowed). */
function candidates(text: string, tokens: readonly Token[], g: Gazetteer): Candidate[] {
  const out: Candidate[] = [];
  for (let i = 0; i < tokens.length; i++) {
    let node = g.root;
    for (let j = i; j < tokens.length; j++) {
      if (j > i && !gapOk(text, tokens[j - 1]!, tokens[j]!)) break;
      const key = tokens[j]!.key;
      const child = node.next.get(key);
      if (child === undefined) break;
      node = child;
      if (node.names.length > 0) out.push({ first: i, last: j, names: node.names, plural: false });
    }
  }
  return out;
}

/** Four-digit years in the text, with where they are. */
function yearsIn(text: string): Array<{ year: number; at: number }> {
  // A year right before a capitalised word modifies that name ("the 2015 GGE report"): it dates
  // that thing, not what is said around it.
  return [...text.matchAll(/\b(19[89]\d|20[0-4]\d)\b(?![ \u00a0]+\p{Lu})/gu)].map((m) => ({
    year: Number(m[1]),
    at: m.index,
  }));
}

/**
 * Links a text to the graph.
 * @param text - plain text
 * @param g - the gazetteer
 * @param options - the document's year, a confidence floor
 * @example linkText('The 2015 GGE report affirmed norm 13(k).', gazetteer)
 */
export function linkText(text: string, g: Gazetteer, options: LinkOptions = {}): Mention[] {
  const tokens = tokenize(text);
  const years = yearsIn(text);
  const found: Mention[] = [];
  const titleSpans: Array<readonly [number, number]> = [];

  // Which year is this mention about? A year written close by in the same sentence, else the
  // document's, else the nearest year anywhere in the text.
  const contextYear = (at: number): number | undefined => {
    let best: { year: number; at: number; d: number } | undefined;
    for (const y of years) {
      const d = Math.abs(y.at - at);
      if (best === undefined || d < best.d) best = { year: y.year, at: y.at, d };
    }
    if (best !== undefined && best.d <= 120) {
      const gap = text.slice(Math.min(at, best.at), Math.max(at, best.at));
      if (!/[.!?]\s|\n/u.test(gap)) return best.year;
    }
    // A timeline's paragraph that opens with its year ("2018 — …").
    const para = text.lastIndexOf('\n', at - 1) + 1;
    const lead = /^\s*((?:19|20)\d\d)\s*(?:[—–:-]|\s-\s)/u.exec(
      text.slice(para, Math.min(at, para + 12)),
    );
    if (lead !== null) return Number(lead[1]);
    return options.documentYear ?? best?.year;
  };
  /**
   * "an open-ended working group (resolution 73/27)", "73/266 creates a new GGE": of the rounds, the
   * one set up by a resolution whose number stands close by in the same sentence.
   */
  const setUpBy = (
    at: number,
    end: number,
    rounds: ReadonlyArray<[number, GazetteerName]>,
  ): [number, GazetteerName] | undefined => {
    const before = text.slice(Math.max(0, at - 40), at);
    const cut = Math.max(before.search(/[.!?]\s(?!.*[.!?]\s)/su) + 2, before.lastIndexOf('\n') + 1);
    const after = text.slice(end, end + 40);
    const stop = after.search(/[.!?]\s|\n/u);
    const window = `${before.slice(Math.max(0, cut))} ${stop < 0 ? after : after.slice(0, stop)}`;
    for (const n of window.matchAll(
      /(?<![\p{L}\p{N}/])(?:A\/RES\/)?(\d{2,3})\/(\d{1,3})(?![\p{N}/])/gu,
    )) {
      const iri = g.entities[resolutionsBySymbol(g).get(`A/RES/${n[1]}/${n[2]}`) ?? -1]?.iri;
      const round = rounds.find(([e]) => iri !== undefined && g.entities[e]!.establishedBy === iri);
      if (round !== undefined) return round;
    }
    return undefined;
  };
  /** Where the last name used for a whole series of groups ended ("three Groups of Governmental Experts"). */
  let seriesEnd = -1;

  for (const c of candidates(text, tokens, g)) {
    const start = tokens[c.first]!.start;
    const span = text.slice(start, tokens[c.last]!.end);
    // A possessive breaks a name ("the UN’s Open-Ended Working Group") unless the name has it too.
    const possessive = /['’]s\s/u.test(span);
    // A bracket inside the span belongs to a name that has one ("13(k)"); "critical infrastructure
    // (norm 13(f))" is not "critical infrastructure norm".
    const bracket = /[()]/u.test(text.slice(tokens[c.first]!.end, tokens[c.last]!.start));
    const names = c.names
      // "Ministry of Finance" is Costa Rica's only right after "Costa Rica's".
      .filter((id) => {
        const state = g.scopedTo.get(id);
        if (state === undefined) return true;
        const prev = found.at(-1);
        return (
          prev?.iri === g.entities[state]!.iri && /^['’]s\s+$/u.test(text.slice(prev.end, start))
        );
      })
      .map((id) => g.names[id]!)
      .filter((n) => caseOk(n, tokens, c.first))
      .filter((n) => !possessive || /['’]s\s/u.test(n.text))
      .filter((n) => !bracket || /[()]/u.test(n.text))
      // "the critical infrastructure norms": several norms, not the one named so.
      .filter((n) => !(n.keys.at(-1) === 'norm' && /^norms$/iu.test(tokens[c.last]!.raw)));
    if (names.length === 0) continue;
    const agenda = agendaTitles(g);
    if (agenda.size > 0 && c.names.every((id) => agenda.has(id))) {
      // "Report of the Group of Governmental Experts on …, UN Doc. A/70/174": a shared title cited
      // with one document's symbol after it leaves the names inside it to be linked.
      const symbol = /\b(A\/\d+\/\d+)\b/u.exec(
        text.slice(tokens[c.last]!.end, tokens[c.last]!.end + 40).split('\n', 1)[0]!,
      );
      const cited = symbol === null ? undefined : resolutionsBySymbol(g).get(symbol[1]!);
      if (!c.names.some((id) => g.names[id]!.entity === cited))
        titleSpans.push([start, tokens[c.last]!.end]);
      continue;
    }
    // A name that ends in a bracket ("13(k)") takes the text's closing bracket too.
    const closes = names.some((n) => n.text.endsWith(')')) && text[tokens[c.last]!.end] === ')';
    const end = tokens[c.last]!.end + (closes ? 1 : 0);
    // The best name per entity.
    const perEntity = new Map<number, GazetteerName>();
    for (const n of names) {
      const prev = perEntity.get(n.entity);
      if (prev === undefined || BASE_CONFIDENCE[n.source] > BASE_CONFIDENCE[prev.source])
        perEntity.set(n.entity, n);
    }
    let choices = [...perEntity.entries()];
    let rule = '';
    const end0 = tokens[c.last]!.end;
    let spanStart = start;
    let unresolved = false;
    let series = false;
    if (choices.length > 1 && choices.every(([e]) => g.entities[e]!.years.length > 0)) {
      const byStart = [...choices].sort(
        ([a], [b]) => g.entities[a]!.years[0]! - g.entities[b]!.years[0]!,
      );
      const before = text.slice(Math.max(0, start - 16), start);
      // "the Group of Governmental Experts (A/70/174)": the round whose report that is. A citation
      // ("Report of the Group of Governmental Experts on …, UN Doc. A/70/174") gives it later on its line.
      const lineAfter = text.slice(end0, end0 + 260).split('\n', 1)[0]!;
      const symbolAfter =
        /^\s*\(?\s*(A\/\d+\/\d+)\b/u.exec(lineAfter.slice(0, 16)) ??
        (REPORT_OF_BEFORE.test(before) ? /\b(A\/\d+\/\d+)\b/u.exec(lineAfter) : null);
      const bySymbol =
        symbolAfter === null
          ? undefined
          : byStart.find(
              ([e]) =>
                g.entities[e]!.finalReport !== undefined &&
                g.entities[e]!.finalReport ===
                  g.entities[resolutionsBySymbol(g).get(symbolAfter[1]!) ?? -1]?.iri,
            );
      const ordinal = ORDINAL_BEFORE.exec(before);
      const premodifier = YEAR_BEFORE.exec(before);
      const lastOne = LAST_BEFORE.exec(before);
      const nth = ordinal === null ? undefined : ORDINALS[ordinal[1]!.toLowerCase()];
      // "the 2012/13 GGE", "the 2019–2021 OEWG": a range names the round by its years.
      const premodifierYear =
        premodifier === null
          ? undefined
          : premodifier[2] === undefined
            ? Number(premodifier[1])
            : premodifier[2].length === 2
              ? Math.floor(Number(premodifier[1]) / 100) * 100 + Number(premodifier[2])
              : Number(premodifier[2]);
      // "three Groups of Governmental Experts", "GGE reports": several groups, so the series.
      const plural = choices.some(([, n]) =>
        n.raws.some((r, k) => /s$/iu.test(tokens[c.first + k]?.raw ?? '') && !/s$/iu.test(r)),
      );
      if (
        premodifier === null &&
        bySymbol === undefined &&
        (plural ||
          /^\s+reports\b/iu.test(lineAfter) ||
          // "the reports of the Group of Governmental Experts", "… in its 2013 and 2015 reports"
          /\breports\s+of\s+(?:the\s+)?$/iu.test(text.slice(Math.max(0, start - 24), start)) ||
          /^,?\s+in its (?:(?:19|20)\d\d(?:,\s*|\s+and\s+))+(?:19|20)\d\d\s+reports\b/u.test(
            lineAfter,
          ))
      ) {
        series = true;
      } else if (bySymbol !== undefined) {
        choices = [bySymbol];
        rule = ` context:symbol ${symbolAfter![1]}`;
        if (nth !== undefined && byStart[nth - 1]?.[0] === bySymbol[0])
          spanStart = start - ordinal![0].length;
      } else if (nth !== undefined && nth <= byStart.length) {
        // "the sixth GGE": the rounds in order.
        choices = [byStart[nth - 1]!];
        spanStart = start - ordinal![0].length;
        rule = ` context:ordinal ${nth}`;
      } else if (lastOne !== null) {
        // "the last GGE" is the latest to have ended by the text's time; "the previous" one before it.
        const year = contextYear(start);
        const latest = /^(?:last|latest|most recent)/iu.test(lastOne[0]);
        const done = byStart.filter(([e]) => {
          const end = g.entities[e]!.years.at(-1)!;
          return year !== undefined && (latest ? end <= year : end < year);
        });
        if (done.length > 0) {
          choices = done.slice(-1);
          spanStart = start - lastOne[0].length;
          rule = ` context:last ${year}`;
        } else unresolved = true;
      } else if (premodifier === null && setUpBy(start, end0, byStart) !== undefined) {
        const round = setUpBy(start, end0, byStart)!;
        choices = [round];
        rule = ` context:established-by ${g.entities[round[0]]!.establishedBy!.replace(/.*\//u, '')}`;
      } else {
        const year = premodifierYear ?? contextYear(start);
        // "the OEWG report", "the OEWG and GGE reports": a round that had reported by then.
        const reportAfter = premodifier === null ? REPORT_AFTER.test(lineAfter) : false;
        if (year !== undefined) {
          const containing = byStart.filter(([e]) => {
            const ys = g.entities[e]!.years;
            return ys[0]! <= year && year <= ys[ys.length - 1]!;
          });
          // Between two rounds, "the GGE" is the latest one before.
          const earlier = byStart.filter(([e]) => g.entities[e]!.years[0]! <= year);
          // In the year two rounds meet (2021), the text's own year decides; else the later one.
          const both = containing.filter(([e]) => {
            const ys = g.entities[e]!.years;
            const y = options.documentYear;
            return y !== undefined && ys[0]! <= y && y <= ys[ys.length - 1]!;
          });
          // Before any round had started, the first one (about to be set up).
          const first = byStart[0]!;
          const upcoming = g.entities[first[0]]!.years[0]! - year <= 2 ? [first] : [];
          // "the 2021 OEWG", "the 2015 GGE": the round that reported in that year.
          const ending =
            premodifier !== null
              ? containing.filter(([e]) => g.entities[e]!.years.at(-1) === year)
              : [];
          const reported = reportAfter
            ? byStart.filter(([e]) => g.entities[e]!.years.at(-1)! <= year)
            : [];
          const picked =
            ending.length === 1
              ? ending
              : reported.length > 0
                ? reported.slice(-1)
                : containing.length > 1
                  ? both.length === 1
                    ? both
                    : containing.slice(0, 1)
                  : containing.length > 0
                    ? containing
                    : earlier.length > 0
                      ? earlier.slice(-1)
                      : upcoming;
          if (picked.length > 0) {
            choices = picked;
            rule = ` context:year ${year}`;
            if (premodifier !== null && containing.length > 0)
              spanStart = start - premodifier[0].length;
          } else unresolved = true;
        } else unresolved = true;
      }
    }
    // "the new OEWG": the round that starts in the text's year or after it, else the latest.
    if (
      perEntity.size > 1 &&
      /\bnew\s+$/u.test(text.slice(Math.max(0, start - 8), start)) &&
      [...perEntity.keys()].every((e) => g.entities[e]!.years.length > 0)
    ) {
      const year = contextYear(start) ?? 0;
      const rounds = [...perEntity.entries()].sort(
        ([a], [b]) => g.entities[a]!.years[0]! - g.entities[b]!.years[0]!,
      );
      choices = [rounds.find(([e]) => g.entities[e]!.years[0]! >= year) ?? rounds.at(-1)!];
      rule = ' context:new';
      unresolved = false;
    }
    choices.sort(
      ([a, na], [b, nb]) =>
        BASE_CONFIDENCE[nb.source] - BASE_CONFIDENCE[na.source] ||
        KIND_ORDER.indexOf(g.entities[a]!.kind) - KIND_ORDER.indexOf(g.entities[b]!.kind),
    );
    // An incident's stem ("Colonial Pipeline") names the incident only with an attack noun after it.
    const noun0 = INCIDENT_NOUN.exec(text.slice(end));
    const stems = choices.filter(([, n]) => n.source === 'incident-stem');
    if (noun0 === null) choices = choices.filter(([, n]) => n.source !== 'incident-stem');
    else if (stems.length > 0) choices = stems;
    // "the HSE attack": of two entities with one name, the one that suffered an incident.
    if (noun0 !== null && choices.length > 1) {
      const victims = choices.filter(([e]) => (g.entities[e]!.incidents?.length ?? 0) === 1);
      if (victims.length === 1) choices = victims;
    }
    // Of two entities with one name, the one the text has already named ("Ireland's Health Service
    // Executive; the HSE …").
    if (choices.length > 1) {
      const named = choices.filter(([e]) => found.some((m) => m.iri === g.entities[e]!.iri));
      if (named.length === 1) choices = named;
    }
    // "Health Service Executive (HSE)": the acronym in brackets is the name just before it.
    if (choices.length > 1 && /\($/u.test(text.slice(Math.max(0, start - 2), start))) {
      const prev = found.at(-1);
      const same = choices.filter(([e]) => g.entities[e]!.iri === prev?.iri);
      if (prev !== undefined && start - prev.end <= 3 && same.length === 1) choices = same;
    }
    const ambiguous = noun0 !== null && stems.length > 0 ? stems.length > 1 : perEntity.size > 1;
    if (choices.length === 0) continue;
    const [entityIndex, name] = choices[0]!;
    const entity = g.entities[entityIndex]!;
    // "the series of GGE dialogues", "successive OEWGs": the class of groups, which no entity is.
    if (
      name.source === 'class' &&
      (series ||
        SERIES_AFTER.test(text.slice(end, end + 24)) ||
        (!rule.startsWith(' context:last') &&
          SERIES_BEFORE.test(text.slice(Math.max(0, start - 24), start))))
    ) {
      seriesEnd = end;
      continue;
    }
    // "three Groups of Governmental Experts (GGE)": the acronym after the series names it too.
    if (name.source === 'class' && seriesEnd >= 0 && /^\s*\($/u.test(text.slice(seriesEnd, start)))
      continue;
    // "the Group of Governmental Experts on Advancing responsible State behaviour …": a document's
    // title as the subject of a longer name is not that document.
    if (
      entity.kind === 'document' &&
      name.source === 'label' &&
      name.keys.length >= 5 &&
      /\bon\s+$/u.test(text.slice(Math.max(0, start - 4), start))
    )
      continue;
    // A norm's descriptive label ("Respond to requests for assistance") is a mention only where the
    // text prescribes that conduct, not where it reports it happening.
    if (
      entity.kind === 'norm' &&
      (name.source === 'label' || name.source === 'alt') &&
      !name.keys.some((k) => k === 'norm' || k === 'norms') &&
      !presentedAsNorm(text, tokens, c.first, c.last)
    )
      continue;
    let confidence = BASE_CONFIDENCE[name.source];
    if (ambiguous) confidence -= rule === '' ? 0.25 : 0.1;
    // Several rounds and nothing in the text to choose one: no link rather than a guess.
    if (unresolved && name.source === 'class') confidence -= 0.4;
    if (c.plural) confidence -= 0.05;
    // A one-word, lower-case name ("energy") is often just a word.
    if (
      name.keys.length === 1 &&
      name.caseRule[0] === 'any' &&
      !/^\p{Lu}/u.test(tokens[c.first]!.raw)
    )
      confidence -= 0.2;
    const window = text.slice(Math.max(0, start - 24), Math.min(text.length, end + 24));
    if (REJECT_CONTEXT.some((r) => r.iri.test(entity.iri) && r.context.test(window))) continue;
    let mention: Mention = {
      start: spanStart,
      end,
      text: text.slice(spanStart, end),
      iri: entity.iri,
      kind: entity.kind,
      label: entity.label,
      confidence: Math.max(0, Math.min(1, confidence)),
      rule: `name:${name.source} "${name.text}"${rule}`,
    };
    // A demonym names the State only as the actor: "the Russian government", not "Russian hackers".
    if (name.source === 'demonym') {
      const actor = STATE_ACTORS.exec(text.slice(end));
      const acteur =
        name.lang === 'fr'
          ? STATE_ACTORS_FR.exec(text.slice(Math.max(0, start - 16), start))
          : null;
      if (actor !== null)
        mention = {
          ...mention,
          end: end + actor[0].length,
          text: text.slice(start, end + actor[0].length),
          confidence: 0.8,
        };
      else if (acteur !== null)
        mention = {
          ...mention,
          start: start - acteur[0].length,
          text: text.slice(start - acteur[0].length, end),
          confidence: 0.8,
        };
      else continue;
    } else if (
      name.lang === 'fr' &&
      entity.kind === 'state' &&
      /^\p{Ll}/u.test(tokens[c.first]!.raw)
    )
      continue;
    // "United States v. Andrienko": a party's name in a case title.
    if (entity.kind === 'state' && /^\s+v\.?\s/u.test(text.slice(end, end + 4))) continue;
    // "Costa Rica's Ministry of Finance": a department named after its field is not the sector.
    if (
      entity.kind === 'sector' &&
      /\b(?:Ministry|Minister|Ministers|Department|Secretary|Office|Committee|Commission)\s+(?:of|for)\s+(?:the\s+)?$/u.test(
        text.slice(Math.max(0, start - 30), start),
      )
    )
      continue;
    // "part of a power grid", "Ukraine's power grid": one installation, not the sector.
    if (
      entity.kind === 'sector' &&
      name.keys.length > 1 &&
      /(?:\b(?:a|an|one|that|this)|\p{L}['’]s)\s+$/iu.test(
        text.slice(Math.max(0, start - 6), start),
      ) &&
      !/s$/iu.test(tokens[c.last]!.raw)
    )
      continue;
    // "hospitals" stands for the sector; "a hospital" is one building.
    if (
      entity.kind === 'sector' &&
      !/s$/iu.test(tokens[c.last]!.raw) &&
      // Every name of it spelt here is a plural ("banks", not also "banking").
      names.every((n) => n.entity !== entityIndex || /s$/u.test(n.raws[n.raws.length - 1] ?? ''))
    )
      continue;
    // "norm 13(h)", "norme 13 f)": the word for norm belongs to the name.
    if (entity.kind === 'norm' && name.source === 'notation') {
      const word = /\b(?:[Nn]orms?|[Nn]ormes?|NORMS?)\s+$/u.exec(
        text.slice(Math.max(0, mention.start - 8), mention.start),
      );
      if (word !== null) {
        const s0 = mention.start - word[0].length;
        mention = { ...mention, start: s0, text: text.slice(s0, mention.end) };
      }
    }
    // What follows the name and belongs to it.
    const lengthen = (m: Mention, more: string): Mention => ({
      ...m,
      end: m.end + more.length,
      text: text.slice(m.start, m.end + more.length),
    });
    // "the Conti group", "the REvil gang": the actor with its own head noun.
    const crew = entity.kind === 'actor' ? ACTOR_NOUN.exec(text.slice(end)) : null;
    if (crew !== null) mention = lengthen(mention, crew[0]);
    // "the UK Government": a State with its government, as written in official texts.
    const government =
      entity.kind === 'state' && name.source !== 'demonym'
        ? /^[ \u00a0]+Government\b/u.exec(text.slice(end))
        : null;
    if (government !== null) mention = lengthen(mention, government[0]);
    // "the Olympic Destroyer attack": an incident's name with the attack noun after it.
    const attack =
      entity.kind === 'incident' && name.source !== 'incident-stem' && !ATTACK_END.test(name.text)
        ? (INCIDENT_NOUN.exec(text.slice(end)) ?? /^\s+operation\b/iu.exec(text.slice(end)))
        : null;
    if (attack !== null) mention = lengthen(mention, attack[0]);
    if (name.source === 'incident-stem' && noun0 !== null) {
      mention = {
        ...mention,
        end: end + noun0[0].length,
        text: text.slice(start, end + noun0[0].length),
        rule: `${mention.rule} + incident noun`,
      };
    }
    // A victim or an actor with an attack noun names the incident, when there is just one.
    const incidents = entity.kind === 'incident' ? [] : (entity.incidents ?? []);
    const noun = incidents.length === 1 ? INCIDENT_NOUN.exec(text.slice(end)) : null;
    const incident = noun === null ? undefined : g.entities.find((e) => e.iri === incidents[0]);
    if (noun !== null && incident !== undefined) {
      mention = {
        ...mention,
        end: end + noun[0].length,
        text: text.slice(start, end + noun[0].length),
        iri: incident.iri,
        kind: incident.kind,
        label: incident.label,
        rule: `${mention.rule} + incident noun`,
      };
    }
    // "the 2015 GGE report", "the GGE's final report": the process's report.
    if (entity.kind === 'process' && entity.finalReport !== undefined) {
      const after = /^\s+(?:final\s+|consensus\s+|substantive\s+)?report\b/iu.exec(text.slice(end));
      const report = g.entities.find((e) => e.iri === entity.finalReport);
      if (after !== null && report !== undefined) {
        mention = {
          ...mention,
          end: end + after[0].length,
          text: text.slice(start, end + after[0].length),
          iri: report.iri,
          kind: report.kind,
          label: report.label,
          rule: `${mention.rule} + report`,
        };
      }
    }
    // "UN Group of Governmental Experts", "the final GGE report": the qualifier belongs to the name.
    const before = text.slice(Math.max(0, mention.start - 16), mention.start);
    const qualifier = (
      mention.kind === 'document'
        ? /\bfinal\s+$/iu
        : mention.kind === 'process'
          ? /(?:\bUN|\bU\.N\.|\bUnited Nations|\bnew)\s+$/u
          : undefined
    )?.exec(before);
    if (qualifier != null) {
      const s = mention.start - qualifier[0].length;
      mention = { ...mention, start: s, text: text.slice(s, mention.end) };
    }
    found.push(mention);
  }

  // Norms named by what they protect: "the norm on protecting CERTs", "the supply chain norm".
  for (let i = 0; i < tokens.length; i++) {
    if (!['norm', 'norms', 'norme', 'normes'].includes(tokens[i]!.key)) continue;
    for (const kw of g.normKeywords) {
      // keyword after "norm", up to four words between ("on the protection of")
      for (let skip = 0; skip <= 4; skip++) {
        const at = i + 1 + skip;
        // Only connecting words may stand between "norm" and the keyword, and no punctuation
        // ("the CERT norm, protects emergency response teams").
        if (skip > 0 && !NORM_CONNECTORS.has(tokens[at - 1]?.key ?? '')) break;
        if (
          at < tokens.length &&
          /[,;:.!?()]/u.test(text.slice(tokens[at - 1]!.end, tokens[at]!.start))
        )
          break;
        if (
          kw.keys.every(
            (k, n) =>
              tokens[at + n]?.key === k ||
              tokens[at + n]?.key === `${k}s` ||
              `${tokens[at + n]?.key}s` === k,
          )
        ) {
          const first = i;
          const last = at + kw.keys.length - 1;
          const e = g.entities[kw.entity]!;
          found.push(
            mentionOf(
              text,
              e,
              tokens[first]!.start,
              tokens[last]!.end,
              0.8,
              `norm-keyword "${kw.keys.join(' ')}"`,
            ),
          );
          break;
        }
      }
      // keyword right before "norm": "the CERT norm"
      const before = i - kw.keys.length;
      if (
        before >= 0 &&
        kw.keys.every((k, n) => tokens[before + n]?.key === k) &&
        !/[()[\]]/u.test(text.slice(tokens[i - 1]!.end, tokens[i]!.start)) &&
        // "the critical infrastructure norms": several norms.
        !/^norms$/iu.test(tokens[i]!.raw)
      ) {
        const first = before;
        const e = g.entities[kw.entity]!;
        found.push(
          mentionOf(
            text,
            e,
            tokens[first]!.start,
            tokens[i]!.end,
            0.85,
            `norm-keyword "${kw.keys.join(' ')}"`,
          ),
        );
      }
    }
  }

  for (const p of normParaphrases(text, tokens, g)) {
    const e = g.entities[p.pattern.entity]!;
    let start = tokens[p.first]!.start;
    const end = tokens[p.last]!.end;
    // "not to damage critical infrastructure": a prohibition keeps its "not".
    const negation = /^(?:do\s+)?not\b/iu.test(p.pattern.text)
      ? /\bnot\s+(?:to\s+)?$/iu.exec(text.slice(Math.max(0, start - 8), start))
      : null;
    if (negation !== null) start -= negation[0].length;
    found.push(mentionOf(text, e, start, end, 0.7, `norm-paraphrase "${p.pattern.text}"`));
  }

  // "the 2015 report": the one report of a group that concluded that year, if there is just one.
  // "the 2021 report (UN Doc. A/76/135)": of several, the one whose symbol follows.
  for (const m of text.matchAll(
    /\b((?:19|20)\d\d)\s+[Rr]eports?\b|\b[Rr]apport\s+de\s+((?:19|20)\d\d)\b/gu,
  )) {
    const year = Number(m[1] ?? m[2]);
    let reports = new Set(
      g.entities
        .filter(
          (e) => e.kind === 'process' && e.finalReport !== undefined && e.years.at(-1) === year,
        )
        .map((e) => e.finalReport!),
    );
    const symbol = /^\s*\((?:UN\s+Doc\.?\s*)?(A\/\d+\/\d+)/u.exec(
      text.slice(m.index + m[0].length, m.index + m[0].length + 30),
    );
    const named =
      symbol === null ? undefined : g.entities[resolutionsBySymbol(g).get(symbol[1]!) ?? -1];
    if (reports.size > 1 && named !== undefined && reports.has(named.iri))
      reports = new Set([named.iri]);
    if (reports.size !== 1) continue;
    const report = g.entities.find((e) => e.iri === [...reports][0]);
    if (report === undefined) continue;
    found.push(
      mentionOf(text, report, m.index, m.index + m[0].length, 0.75, `year-report ${year}`),
    );
  }

  // "norms 13(f), (g) and (h)", "norms (f) and (h)", "norms 13 f, g and h": each letter of a list
  // that a norm's number or letter opens is that norm.
  const { normByLetter, telecoms } = landmarks(g);
  // "la norme f)", "norm f": a norm by its letter alone after the word for norm.
  for (const m of text.matchAll(
    /\b(?:[Nn]orms?|[Nn]ormes?|NORMS?)[ \u00a0]+(?:\(?([a-k])\)|13([a-k])\b)/gu,
  )) {
    const e = normByLetter.get(m[1] ?? m[2]!);
    if (e === undefined) continue;
    found.push(
      mentionOf(text, e, m.index, m.index + m[0].length, 0.88, `norm-letter "${m[1] ?? m[2]}"`),
    );
  }
  for (const m of [...found]) {
    if (
      m.kind !== 'norm' ||
      !/\b13\s?\(?[a-k]\)?$|\([a-k]\)$|\b[a-k]\)$|\bnorms?\s+[a-k]$/iu.test(m.text)
    )
      continue;
    const bracketed = m.text.endsWith(')');
    let at = m.end;
    for (;;) {
      const next = (
        bracketed
          ? /^(\s*(?:,\s*(?:and|or|et|ou)?|and|or|et|ou|&)\s*)((?:13\s?)?\(?([a-k])\))(?![\p{L}\p{N}(])/iu
          : // an unbracketed letter must end its phrase: "f, g and h of", not "f and a second"
            /^(\s*(?:,\s*(?:and|or)?|and|or|&)\s*)((?:13\s?)?([a-k]))(?=[,;.:)]|\s+(?:and|or|of|in|to|are|were|is)\b|\s*$)/u
      ).exec(text.slice(at, at + 24));
      const e = next === null ? undefined : normByLetter.get(next[3]!.toLowerCase());
      if (next === null || e === undefined) break;
      const start = at + next[1]!.length;
      found.push(mentionOf(text, e, start, start + next[2]!.length, 0.85, 'norm-list'));
      at = start + next[2]!.length;
    }
  }

  // "resolution 73/27", "General Assembly resolution 68/243": the resolution by its number.
  for (const m of text.matchAll(RESOLUTION)) {
    const e = resolutionsBySymbol(g).get(`A/RES/${m[1]}/${m[2]}`);
    if (e === undefined) continue;
    const entity = g.entities[e]!;
    found.push(
      mentionOf(
        text,
        entity,
        m.index,
        m.index + m[0].length,
        0.95,
        `resolution-number "A/RES/${m[1]}/${m[2]}"`,
      ),
    );
  }

  // "resolutions 70/237 and 76/19", "two resolutions: 73/27 creates …; 73/266 creates …": after the
  // plural, the numbers of known resolutions in the same sentence are those resolutions.
  for (const m of text.matchAll(/\b(?:[Rr]esolutions|RESOLUTIONS|[Rr]ésolutions)\b/gu)) {
    const rest = text.slice(m.index + m[0].length, m.index + m[0].length + 200);
    const stop = rest.search(/\.\s|\n/u);
    const sentence = stop < 0 ? rest : rest.slice(0, stop);
    for (const n of sentence.matchAll(/(?<![\p{L}\p{N}/])(\d{2,3})\/(\d{1,3})(?![\p{N}/])/gu)) {
      const e = resolutionsBySymbol(g).get(`A/RES/${n[1]}/${n[2]}`);
      if (e === undefined) continue;
      const entity = g.entities[e]!;
      const start = m.index + m[0].length + n.index;
      found.push(
        mentionOf(
          text,
          entity,
          start,
          start + n[0].length,
          0.85,
          `resolution-list "A/RES/${n[1]}/${n[2]}"`,
        ),
      );
    }
  }

  const blocked = [
    ...[...text.matchAll(BLOCKING_NAMES)].map((m) => [m.index, m.index + m[0].length] as const),
    ...titleSpans,
  ];
  // The longest mention wins an overlap; then the more confident one; then the earlier.
  found.sort(
    (a, b) =>
      b.end - b.start - (a.end - a.start) || b.confidence - a.confidence || a.start - b.start,
  );
  // "cooperation norm 13(h)": the number says which norm; a descriptive name around it does not.
  const numbered = found.filter((m) => m.kind === 'norm' && m.rule.startsWith('name:notation'));
  const kept: Mention[] = [];
  for (const m of found) {
    if (
      m.kind === 'norm' &&
      !m.rule.startsWith('name:notation') &&
      numbered.some((n) => n.iri !== m.iri && m.start < n.end && n.start < m.end)
    )
      continue;
    if (m.confidence < (options.minConfidence ?? 0.5)) continue;
    if (blocked.some(([s, e]) => m.start >= s && m.end <= e)) continue;
    if (kept.some((k) => m.start < k.end && k.start < m.end)) continue;
    kept.push(m);
  }
  kept.sort((a, b) => a.start - b.start);
  // "norm 13(g) on protecting one's own critical infrastructure": the conduct spelt out after the
  // norm's number explains that mention; it is not a second one.
  for (let i = kept.length - 1; i > 0; i--) {
    const m = kept[i]!;
    const prev = kept[i - 1]!;
    if (
      m.kind === 'norm' &&
      m.rule.startsWith('norm-paraphrase') &&
      prev.iri === m.iri &&
      /^\s*(?:(?:on|about)(?:\s+the)?|[,:(–—-])\s*$/u.test(text.slice(prev.end, m.start))
    )
      kept.splice(i, 1);
  }
  // "the energy, transport and water sectors": the head noun is shared by the list; each sector is its word.
  for (let i = 1; i < kept.length; i++) {
    const m = kept[i]!;
    const head = /[ \u00a0]+sectors?$/iu.exec(m.text);
    const prev = kept[i - 1]!;
    if (
      m.kind === 'sector' &&
      head !== null &&
      prev.kind === 'sector' &&
      /^,?\s+(?:and|or)\s+$|^,\s+$/u.test(text.slice(prev.end, m.start))
    )
      kept[i] = { ...m, end: m.end - head[0].length, text: m.text.slice(0, -head[0].length) };
  }
  // "hospitals and clinics", "ALPHV/BlackCat": two names of one entity side by side are one mention.
  for (let i = kept.length - 1; i > 0; i--) {
    const a = kept[i - 1]!;
    const b = kept[i]!;
    if (
      a.iri === b.iri &&
      ((a.kind === 'sector' &&
        /^\s*(?:and|or|&|\/)\s*$/u.test(text.slice(a.end, b.start)) &&
        // "hospitals and health care organizations": the second word modifies a noun of its own.
        !SECTOR_HEAD_AFTER.test(text.slice(b.end, b.end + 24))) ||
        (a.kind === 'actor' && text.slice(a.end, b.start) === '/'))
    )
      kept.splice(i - 1, 2, { ...a, end: b.end, text: text.slice(a.start, b.end) });
  }
  // "communications, energy, transportation and water": in a list of sectors, "communications" is one.
  if (telecoms !== undefined)
    for (const m of text.matchAll(/\b[Cc]ommunications\b/gu)) {
      const end = m.index + m[0].length;
      const next = kept.find((k) => k.start >= end && k.start - end <= 6);
      const prev = kept.findLast((k) => k.end <= m.index && m.index - k.end <= 6);
      const listed = (k: Mention | undefined, gap: string) =>
        k?.kind === 'sector' && /^\s*(?:,|,?\s+and|,?\s+or)\s*$/u.test(gap);
      if (
        kept.some((k) => k.start < end && m.index < k.end) ||
        !(
          listed(next, next === undefined ? '' : text.slice(end, next.start)) ||
          listed(prev, prev === undefined ? '' : text.slice(prev.end, m.index))
        )
      )
        continue;
      kept.push(mentionOf(text, telecoms, m.index, end, 0.7, 'sector-list "communications"'));
    }
  kept.sort((a, b) => a.start - b.start);
  // "energy transportation": a sector word modifying another sector word names the first sector;
  // the head noun is not a second one.
  return kept.filter((m, i) => {
    const prev = kept[i - 1];
    return !(
      m.kind === 'sector' &&
      prev?.kind === 'sector' &&
      /^[ \u00a0]$/u.test(text.slice(prev.end, m.start))
    );
  });
}
