/**
 * Measuring the linker against hand-made gold mentions: precision, recall and F1 per kind and
 * overall, strict (same span and entity) and lenient (overlapping span, same entity), with the
 * misses and false alarms listed.
 */
import type { Mention } from './linkText.js';

export interface GoldMention {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly iri: string;
  readonly kind: string;
}

export interface Score {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface Evaluation {
  readonly overall: Score;
  readonly byKind: Readonly<Record<string, Score>>;
  readonly misses: readonly GoldMention[];
  readonly falseAlarms: readonly Mention[];
}

function score(tp: number, fp: number, fn: number): Score {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

/**
 * Compares predicted mentions with gold ones.
 * @param predicted - the linker's mentions
 * @param gold - the hand-made mentions
 * @param mode - strict: same span; lenient: overlapping span (same entity in both)
 */
export function evaluate(
  predicted: readonly Mention[],
  gold: readonly GoldMention[],
  mode: 'strict' | 'lenient' = 'strict',
): Evaluation {
  const same = (p: Mention, g: GoldMention): boolean =>
    p.iri === g.iri &&
    (mode === 'strict'
      ? p.start === g.start && p.end === g.end
      : p.start < g.end && g.start < p.end);
  const usedGold = new Set<number>();
  const matched = new Set<number>();
  predicted.forEach((p, i) => {
    const j = gold.findIndex((g, k) => !usedGold.has(k) && same(p, g));
    if (j !== -1) {
      usedGold.add(j);
      matched.add(i);
    }
  });
  const kinds = new Set([...gold.map((g) => g.kind), ...predicted.map((p) => p.kind)]);
  const byKind: Record<string, Score> = {};
  for (const kind of kinds) {
    const tp = predicted.filter((p, i) => p.kind === kind && matched.has(i)).length;
    const fp = predicted.filter((p, i) => p.kind === kind && !matched.has(i)).length;
    const fn = gold.filter((g, k) => g.kind === kind && !usedGold.has(k)).length;
    byKind[kind] = score(tp, fp, fn);
  }
  return {
    overall: score(matched.size, predicted.length - matched.size, gold.length - usedGold.size),
    byKind,
    misses: gold.filter((_, k) => !usedGold.has(k)),
    falseAlarms: predicted.filter((_, i) => !matched.has(i)),
  };
}

/** Sums evaluations of several texts. */
export function combine(evaluations: readonly Evaluation[]): Evaluation {
  const sum = (pick: (e: Evaluation) => Score | undefined) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const e of evaluations) {
      const s = pick(e);
      if (s === undefined) continue;
      tp += s.tp;
      fp += s.fp;
      fn += s.fn;
    }
    return score(tp, fp, fn);
  };
  const kinds = new Set(evaluations.flatMap((e) => Object.keys(e.byKind)));
  return {
    overall: sum((e) => e.overall),
    byKind: Object.fromEntries([...kinds].map((k) => [k, sum((e) => e.byKind[k])])),
    misses: evaluations.flatMap((e) => e.misses),
    falseAlarms: evaluations.flatMap((e) => e.falseAlarms),
  };
}

/** A plain-text table of an evaluation. */
export function formatEvaluation(title: string, e: Evaluation): string {
  const row = (name: string, s: Score): string =>
    `${name.padEnd(14)} ${s.precision.toFixed(3).padStart(9)} ${s.recall.toFixed(3).padStart(7)} ${s.f1.toFixed(3).padStart(6)}   tp ${s.tp} fp ${s.fp} fn ${s.fn}`;
  const lines = [
    title,
    `${'kind'.padEnd(14)} ${'precision'.padStart(9)} ${'recall'.padStart(7)} ${'F1'.padStart(6)}`,
  ];
  for (const [kind, s] of Object.entries(e.byKind).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(row(kind, s));
  lines.push(row('overall', e.overall));
  return lines.join('\n');
}
