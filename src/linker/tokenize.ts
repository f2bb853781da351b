/**
 * Tokens for linking: words and numbers with their character offsets, and a normalised key that
 * folds case, accents, curly quotes and dotted abbreviations ("U.S." and "US" meet), so that names
 * in the graph and words in a text compare as equals.
 */

export interface Token {
  /** Offset of the first character (UTF-16 index into the text). */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
  /** The text as written. */
  readonly raw: string;
  /** Case-, accent- and dot-folded key. */
  readonly key: string;
}

// Dotted abbreviations first ("U.S.", "U.K."), then runs of letters and digits.
// A word broken across a line end by a hyphen ("Pro-\ngramme") is one token.
// A footnote number glued to a UN symbol in text from a PDF ("2A/75/816") is a token of its own.
const TOKEN =
  /(?:\p{Lu}\.){2,}|\d{1,2}(?=A\/\d)|[\p{L}\p{N}]+(?:[-\u00ad\u2010]\r?\n[ \t]*[\p{L}\p{N}]+)*/gu;

/**
 * The folded key of a token.
 * @param raw - the token as written
 */
export function foldKey(raw: string): string {
  if (/\n/u.test(raw)) raw = raw.replace(/[-\u00ad\u2010]\r?\n[ \t]*/gu, '');
  return stem(raw.normalize('NFKD').replace(/\p{M}/gu, '').replace(/\./gu, '').toLowerCase());
}

/**
 * A light English stemmer, applied alike to names and texts: plurals and -ing forms meet their
 * stems ("CERTs"/"CERT", "responding"/"respond", "authorities"/"authority").
 * @param key - a folded token
 */
export function stem(key: string): string {
  if (!/^\p{L}+$/u.test(key)) return key;
  if (key.length >= 6 && key.endsWith('ing')) return key.slice(0, -3);
  if (key.length >= 5 && key.endsWith('ies')) return `${key.slice(0, -3)}y`;
  if (key.length >= 4 && key.endsWith('s') && !/(?:ss|us|is)$/u.test(key)) return key.slice(0, -1);
  return key;
}

/**
 * Splits text into tokens. Possessive `'s` / `’s` is dropped (the token before it stays whole);
 * other punctuation, hyphens and spaces only separate tokens.
 * @param text - any text (NFC or not; offsets are into this exact string)
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const raw = m[0];
    const start = m.index;
    const prev = out[out.length - 1];
    // "Microsoft's" → "Microsoft": a lone "s" right after an apostrophe that follows a word.
    if (
      raw === 's' &&
      prev !== undefined &&
      start - prev.end === 1 &&
      /['’]/u.test(text[start - 1] ?? '')
    )
      continue;
    out.push({ start, end: start + raw.length, raw, key: foldKey(raw) });
  }
  return out;
}

/** True for a token written as an acronym ("GGE", "UK", "PoA", "U.S."): it must match in case. */
export function isAcronym(raw: string): boolean {
  const letters = raw.replace(/[^\p{L}]/gu, '');
  if (letters.length === 0) return false;
  const upper = letters.replace(/[^\p{Lu}]/gu, '').length;
  return (upper >= 2 && letters.length <= 6) || (raw.includes('.') && upper >= 2);
}
