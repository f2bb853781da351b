/**
 * Norms named by paraphrase: "routines for reporting technical vulnerabilities" states the conduct of
 * norm 13(j), whose label is "Report ICT vulnerabilities". A paraphrase is a short run of words that
 * spells most of a norm label's content words in order, starting with the label's first content word
 * (its verb) and ending with its last (its object), in a sentence that speaks of norms, reports or
 * commitments. The labels come from the graph, so a new altLabel is a new paraphrase.
 */
import type { Gazetteer } from './gazetteer.js';
import { tokenize, type Token } from './tokenize.js';

/** Words that carry no content in a norm label. */
const FUNCTION_WORDS = new Set([
  'a',
  'an',
  'the',
  'of',
  'to',
  'in',
  'for',
  'and',
  'or',
  'on',
  'with',
  'by',
  'from',
  'its',
  'their',
  'your',
  'one',
  'own',
  'be',
  'when',
  'case',
  'use',
  'norm',
  'un',
  'cyber',
  'do',
  'not',
  'no',
  'de',
  'la',
  'le',
  'les',
  'des',
  'du',
  'l',
  'd',
  'aux',
  'en',
  'et',
  'pour',
]);

/** A sentence that presents the conduct as a norm, a commitment or a report's content. */
const NORM_CONTEXT =
  /\b(?:[Nn]orms?|[Nn]ormes?|recommande\w*|GGE|OEWG|report|framework|recommend\w*|commit\w*|agreed|endorsed|expectations?|responsible (?:state|State) behaviou?r|A\/\d+\/\d+|should)\b/u;

/** Verbs that urge a conduct rather than name it ("Encourage", "Ensure"). */
const SOFT_VERBS = new Set(['encourage', 'ensure', 'promote']);

/** Label words a paraphrase may leave out ("reporting technical vulnerabilities" for "Report ICT vulnerabilities"). */
const SKIPPABLE = new Set(['ict', 'icts', 'information', 'communication', 'technology', 'all']);

export interface NormPattern {
  readonly entity: number;
  /** The label it comes from. */
  readonly text: string;
  /** Content keys, in order. */
  readonly keys: readonly string[];
}

export interface ParaphraseMatch {
  readonly first: number;
  readonly last: number;
  readonly pattern: NormPattern;
}

const patternCache = new WeakMap<Gazetteer, Map<string, NormPattern[]>>();

/** Norm-label patterns of two or more content words, indexed by their first content key. */
function patterns(g: Gazetteer): Map<string, NormPattern[]> {
  const cached = patternCache.get(g);
  if (cached !== undefined) return cached;
  const byFirst = new Map<string, NormPattern[]>();
  for (const name of g.names) {
    if (g.entities[name.entity]!.kind !== 'norm') continue;
    if (name.source !== 'label' && name.source !== 'alt') continue;
    // Names with "norm" in them ("the supply chain norm") are matched as keywords, not as conduct.
    if (name.keys.includes('norm')) continue;
    const keys = name.keys.filter((k) => !FUNCTION_WORDS.has(k) && !/^\d/u.test(k) && k.length > 1);
    // "Encourage responsible reporting of …": texts name the conduct without the verb that urges it.
    const forms = SOFT_VERBS.has(keys[0]!) && keys.length >= 4 ? [keys, keys.slice(1)] : [keys];
    for (const k of forms) {
      if (k.length < 2) continue;
      const list = byFirst.get(k[0]!) ?? [];
      list.push({ entity: name.entity, text: name.text, keys: k });
      byFirst.set(k[0]!, list);
    }
  }
  patternCache.set(g, byFirst);
  return byFirst;
}

/** The sentence around `at` (bounded), for the context test. */
function sentenceAround(text: string, at: number, end: number): string {
  const from = Math.max(0, at - 300);
  const before = text.slice(from, at);
  const stop = Math.max(before.lastIndexOf('. '), before.lastIndexOf('\n'));
  const after = text.slice(end, Math.min(text.length, end + 200));
  const next = after.search(/\.\s|\n/u);
  return `${before.slice(stop + 1)}${text.slice(at, end)}${next < 0 ? after : after.slice(0, next)}`;
}

/** Words before the conduct that make it prescribed ("should respond", "routines for reporting"). */
const PRESCRIBING =
  /(?:\b(?:should|shall|must|to|for|on|of|not|never|will|and|or|by|commit(?:s|ted)?|agreed|pledged?|(?:support|promote|encourage|uphold|implement|observe|call)(?:s|d|ed)?|de|d['’]|à)\s*(?:the\s+)?|["“:]\s*)$/iu;

/**
 * Is the conduct at tokens `first`..`last` presented as a norm — prescribed ("should", "not to",
 * "routines for …") in a sentence about norms, reports or commitments — rather than described as
 * something that happened ("attacks that harm critical infrastructure")?
 * @param text - the text
 * @param tokens - its tokens
 * @param first - first token of the conduct
 * @param last - last token of the conduct
 */
export function presentedAsNorm(
  text: string,
  tokens: readonly Token[],
  first: number,
  last: number,
): boolean {
  const start = tokens[first]!.start;
  if (!PRESCRIBING.test(text.slice(Math.max(0, start - 24), start))) return false;
  return NORM_CONTEXT.test(sentenceAround(text, start, tokens[last]!.end));
}

/**
 * Every paraphrase of a norm label in the tokens.
 * @param text - the text the tokens index into
 * @param tokens - its tokens
 * @param g - the gazetteer (norm labels)
 */
export function normParaphrases(
  text: string,
  tokens: readonly Token[],
  g: Gazetteer,
): ParaphraseMatch[] {
  const byFirst = patterns(g);
  const out: ParaphraseMatch[] = [];
  for (let i = 0; i < tokens.length; i++) {
    // The norm's own wording, quoted or nearly so, comes first.
    const quoted = officialClause(text, tokens, g, i);
    if (quoted !== undefined) {
      out.push(quoted);
      i = quoted.last;
      continue;
    }
    const list = byFirst.get(tokens[i]!.key);
    if (list === undefined) continue;
    let best: ParaphraseMatch | undefined;
    let bestMatched = 0;
    for (const p of list) {
      const needed = Math.max(2, Math.ceil((p.keys.length * 2) / 3));
      const maxSpan = p.keys.length + 4;
      let k = 1;
      let matched = 1;
      let last = i;
      let skips = 1;
      for (let j = i + 1; j < tokens.length && j - i < maxSpan && k < p.keys.length; j++) {
        const gap = text.slice(tokens[j - 1]!.end, tokens[j]!.start);
        if (/[.;:!?]|\n/u.test(gap)) break;
        // The next content key, or the one after it (a label word the text leaves out).
        const key = tokens[j]!.key;
        // A prefix word ("non-targeting") is one word with what follows it.
        if (k === 1 && p.keys[0]!.length <= 3 && j > i + 1) break;
        if (key === p.keys[k]) {
          matched++;
          k++;
          last = j;
        } else if (
          k + 1 < p.keys.length &&
          key === p.keys[k + 1] &&
          (SKIPPABLE.has(p.keys[k]!) || (p.keys.length >= 5 && skips-- > 0))
        ) {
          // A label word left out: an ICT word freely, any other once ("against criminal use" for
          // "against criminal and terrorist use").
          matched++;
          k += 2;
          last = j;
        }
      }
      // The object must be there: the label's last content word ends the paraphrase.
      if (k < p.keys.length || tokens[last]!.key !== p.keys[p.keys.length - 1]) continue;
      if (matched < needed) continue;
      // "… wrongful acts using ICTs": a label word the text moved to the end.
      const missing = new Set(p.keys);
      for (let j = i; j <= last; j++) missing.delete(tokens[j]!.key);
      for (let j = last + 1; j <= last + 2 && j < tokens.length && missing.size > 0; j++) {
        if (/[.;:!?,]|\n/u.test(text.slice(tokens[j - 1]!.end, tokens[j]!.start))) break;
        if (missing.has(tokens[j]!.key)) {
          missing.delete(tokens[j]!.key);
          last = j;
        }
      }
      if (matched > bestMatched) {
        best = { first: i, last, pattern: p };
        bestMatched = matched;
      }
    }
    if (best === undefined || !presentedAsNorm(text, tokens, best.first, best.last)) continue;
    out.push(best);
  }
  return out;
}

/** A clause of a norm's official wording: what follows one of its "should"s. */
interface Clause {
  readonly entity: number;
  readonly keys: readonly string[];
  readonly text: string;
}

const clauseCache = new WeakMap<Gazetteer, Map<string, Clause[]>>();

/** The clauses of every norm's official wording, indexed by their first key. */
function clauses(g: Gazetteer): Map<string, Clause[]> {
  const cached = clauseCache.get(g);
  if (cached !== undefined) return cached;
  const byFirst = new Map<string, Clause[]>();
  for (const [entity, e] of g.entities.entries()) {
    if (e.officialText === undefined) continue;
    for (const m of e.officialText.matchAll(/\bshould\s+(?:also\s+)?([^.;]+)/gu)) {
      const keys = tokenize(m[1]!)
        .map((t) => t.key)
        .slice(0, 40);
      if (keys.length < 4) continue;
      const list = byFirst.get(keys[0]!) ?? [];
      list.push({ entity, keys, text: m[1]!.trim() });
      byFirst.set(keys[0]!, list);
    }
  }
  clauseCache.set(g, byFirst);
  return byFirst;
}

const ARTICLES = new Set(['the', 'a', 'an', 'their', 'its']);

/**
 * The conduct of a norm in its official words, starting at token `i`: "(States should) not conduct or
 * knowingly support ICT activity that intentionally damages critical infrastructure". The text may
 * leave words of the official clause out and add up to two of its own; the match ends on its last
 * content word. It must cover at least three content words and four tokens of the clause.
 */
function officialClause(
  text: string,
  tokens: readonly Token[],
  g: Gazetteer,
  i: number,
): ParaphraseMatch | undefined {
  const list = clauses(g).get(tokens[i]!.key);
  if (list === undefined) return undefined;
  let best: { last: number; matched: number; clause: Clause; first: number } | undefined;
  for (const clause of list) {
    let at = 0;
    const hits = [i];
    let added = 0;
    let leadingArticle = false;
    for (let j = i + 1; j < tokens.length; j++) {
      // The conduct ends at a comma or where the text goes on with a purpose or an example.
      if (/[.,;:!?()[\]]|\n/u.test(text.slice(tokens[j - 1]!.end, tokens[j]!.start))) break;
      const key = tokens[j]!.key;
      if (/^(?:so|including|before|after|while|because|unless)$/u.test(key)) break;
      let found = -1;
      for (let k = at + 1; k < Math.min(clause.keys.length, at + 10); k++)
        if (clause.keys[k] === key) {
          found = k;
          break;
        }
      if (found < 0) {
        if (j === i + 1 && ARTICLES.has(key)) leadingArticle = true;
        if (++added > 2) break;
        continue;
      }
      at = found;
      hits.push(j);
    }
    // End on a content word.
    while (hits.length > 1 && FUNCTION_WORDS.has(tokens[hits.at(-1)!]!.key)) hits.pop();
    const content = hits.filter((j) => !FUNCTION_WORDS.has(tokens[j]!.key)).length;
    if (content < 3 || hits.length < 4) continue;
    // "encourages the responsible reporting …": the conduct is the noun phrase after the article.
    const first = leadingArticle ? hits[1]! : i;
    if (best === undefined || hits.length > best.matched)
      best = { last: hits.at(-1)!, matched: hits.length, clause, first };
  }
  if (best === undefined) return undefined;
  // Quoted this closely, the wording is the norm's wherever the sentence speaks of norms or reports.
  if (!NORM_CONTEXT.test(sentenceAround(text, tokens[best.first]!.start, tokens[best.last]!.end)))
    return undefined;
  return {
    first: best.first,
    last: best.last,
    pattern: { entity: best.clause.entity, text: best.clause.text, keys: best.clause.keys },
  };
}
