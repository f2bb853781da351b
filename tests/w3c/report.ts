/**
 * Reporting a conformance run: the per-category table, the JSON record in test-output/, and the
 * committed baseline of passing tests that later runs must not fall below.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineName } from '../../src/config.js';
import type { EngineRun, Outcome } from './runner.js';

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

/** Engine → ids of the tests that passed when the baseline was last updated. */
export type Baseline = Partial<Record<EngineName, string[]>>;

/** Query evaluation tests (including the CSV result-format tests), as opposed to syntax tests. */
export function isEvaluation(o: Outcome): boolean {
  return o.kind === 'evaluation' || o.kind === 'csv';
}

export function tally(outcomes: readonly Outcome[]): Tally {
  const t: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const o of outcomes) {
    if (o.status === 'pass') t.passed++;
    else if (o.status === 'fail') t.failed++;
    else t.skipped++;
  }
  return t;
}

export function byCategory(outcomes: readonly Outcome[]): Map<string, Outcome[]> {
  const map = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const list = map.get(o.category);
    if (list === undefined) map.set(o.category, [o]);
    else list.push(o);
  }
  return map;
}

function cell(t: Tally | undefined): string {
  if (t === undefined) return '-';
  return `${t.passed}/${t.failed}/${t.skipped}`;
}

/**
 * A plain-text table: one row per category, one column per engine (passed/failed/skipped), totals.
 * @param runs - the engines' runs, in column order
 */
export function table(runs: readonly EngineRun[]): string {
  const categories = [...new Set(runs.flatMap((r) => r.outcomes.map((o) => o.category)))];
  const header = ['category', ...runs.map((r) => `${r.engine} pass/fail/skip`)];
  const rows = categories.map((c) => [
    c,
    ...runs.map((r) => cell(tally(r.outcomes.filter((o) => o.category === c)))),
  ]);
  const summary = (pick: (o: Outcome) => boolean): string[] =>
    runs.map((r) => {
      const t = tally(r.outcomes.filter(pick));
      return `${cell(t)} (${rate(t)})`;
    });
  const footer = [
    ['evaluation tests', ...summary(isEvaluation)],
    ['  of which dawgt:Approved', ...summary((o) => isEvaluation(o) && o.approval === 'Approved')],
    ['syntax tests', ...summary((o) => !isEvaluation(o))],
    ['TOTAL', ...summary(() => true)],
  ];
  const all = [header, ...rows, ...footer];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line), rule, ...footer.map(line)].join('\n');
}

/** Pass rate over the tests that ran (skips excluded), as a percentage with one decimal. */
export function rate(t: Tally): string {
  const ran = t.passed + t.failed;
  return ran === 0 ? 'n/a' : `${((100 * t.passed) / ran).toFixed(1)}%`;
}

/** Writes the run to `<outputDir>/w3c-<engine>.json`. */
export function writeRunJson(outputDir: string, run: EngineRun): string {
  mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, `w3c-${run.engine}.json`);
  const categories: Record<string, Tally> = {};
  for (const [c, list] of byCategory(run.outcomes)) categories[c] = tally(list);
  const doc = {
    engine: run.engine,
    description: run.description,
    finishedAt: new Date().toISOString(),
    ms: run.ms,
    totals: tally(run.outcomes),
    evaluation: tally(run.outcomes.filter(isEvaluation)),
    evaluationApproved: tally(
      run.outcomes.filter((o) => isEvaluation(o) && o.approval === 'Approved'),
    ),
    syntax: tally(run.outcomes.filter((o) => !isEvaluation(o))),
    categories,
    tests: run.outcomes,
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

export function readBaseline(file: string): Baseline {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Baseline;
}

/** Replaces one engine's entry in the baseline file (ids sorted, one per line). */
export function writeBaseline(file: string, engine: EngineName, run: EngineRun): void {
  const baseline = readBaseline(file);
  baseline[engine] = run.outcomes
    .filter((o) => o.status === 'pass')
    .map((o) => o.id)
    .sort();
  const ordered: Baseline = {};
  for (const key of Object.keys(baseline).sort() as EngineName[]) ordered[key] = baseline[key];
  writeFileSync(file, `${JSON.stringify(ordered, null, 2)}\n`);
}

/** Failures grouped by category, one line each, for the console. */
export function failureList(outcomes: readonly Outcome[], max = 400): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    if (o.status !== 'fail') continue;
    lines.push(`  ✗ ${o.id}: ${(o.reason ?? '').split('\n')[0] ?? ''}`);
  }
  return (
    lines.slice(0, max).join('\n') + (lines.length > max ? `\n  … ${lines.length - max} more` : '')
  );
}
