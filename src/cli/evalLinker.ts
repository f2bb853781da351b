/**
 * `npm run eval:linker`: precision, recall and F1 of the linker on the hand-annotated texts in
 * tests/fixtures/linker/gold/ (the texts themselves are in ../shared/sources/), per kind and overall,
 * for the development texts and the held-out text separately, with the misses listed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULTS, PROJECT_ROOT } from '../config.js';
import { findDataSources } from '../graph/files.js';
import { loadDataset } from '../graph/load.js';
import { freeStore } from '../graph/oxigraphUtil.js';
import {
  combine,
  evaluate,
  formatEvaluation,
  type Evaluation,
  type GoldMention,
} from '../linker/evaluate.js';
import { Gazetteer } from '../linker/gazetteer.js';
import { linkText } from '../linker/linkText.js';

/** Texts the linker was not tuned on. */
export const HELD_OUT = new Set(['un-makes-critical-progress-on-cybersecurity.txt']);

/** The year each source was written (from ../shared/sources/README.md), given to the linker as a user would. */
export const SOURCE_YEARS: Readonly<Record<string, number>> = {
  'next-chapter-of-cyber-diplomacy-at-the-un.txt': 2021,
  'un-makes-critical-progress-on-cybersecurity.txt': 2021,
  'paris-call-2018.md': 2018,
};

export interface GoldFile {
  readonly source: string;
  readonly mentions: readonly GoldMention[];
}

/**
 * Runs the evaluation; undefined when ../shared/sources is absent.
 * @param mode - strict or lenient span matching
 */
export async function runLinkerEvaluation(
  mode: 'strict' | 'lenient' = 'strict',
): Promise<
  { dev: Evaluation; heldOut: Evaluation; files: Record<string, Evaluation> } | undefined
> {
  const sources = path.resolve(PROJECT_ROOT, '..', 'shared', 'sources');
  const goldDir = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'linker', 'gold');
  if (!existsSync(sources) || !existsSync(goldDir)) return undefined;
  const loaded = await loadDataset(await findDataSources(DEFAULTS.dataPaths, DEFAULTS.baseIri));
  const gazetteer = Gazetteer.fromStore(loaded.store, DEFAULTS.baseIri);
  freeStore(loaded.store);
  const files: Record<string, Evaluation> = {};
  for (const name of readdirSync(goldDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const gold = JSON.parse(readFileSync(path.join(goldDir, name), 'utf8')) as GoldFile;
    const text = readFileSync(path.join(sources, gold.source), 'utf8');
    const year = SOURCE_YEARS[gold.source];
    files[gold.source] = evaluate(
      linkText(text, gazetteer, year === undefined ? {} : { documentYear: year }),
      gold.mentions,
      mode,
    );
  }
  const pick = (held: boolean) =>
    combine(
      Object.entries(files)
        .filter(([f]) => HELD_OUT.has(f) === held)
        .map(([, e]) => e),
    );
  return { dev: pick(false), heldOut: pick(true), files };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('evalLinker.ts')) {
  const verbose = process.argv.includes('--misses');
  for (const mode of ['strict', 'lenient'] as const) {
    const result = await runLinkerEvaluation(mode);
    if (result === undefined) {
      console.log(
        'eval:linker skipped: ../shared/sources or tests/fixtures/linker/gold is absent.',
      );
      process.exit(0);
    }
    console.log(formatEvaluation(`\n== development texts (${mode})`, result.dev));
    console.log(formatEvaluation(`\n== held-out text (${mode})`, result.heldOut));
    if (mode === 'strict') {
      // Only the development texts: the held-out text must not steer tuning.
      const all = result.dev;
      const show = verbose ? all.misses.length : 15;
      console.log(
        `\nMisses on the development texts (${all.misses.length}${show < all.misses.length ? `, first ${show}; --misses for all` : ''}):`,
      );
      for (const m of all.misses.slice(0, show))
        console.log(`  ${m.kind.padEnd(12)} ${JSON.stringify(m.text)} @${m.start} → ${m.iri}`);
      console.log(
        `False alarms (${all.falseAlarms.length}${show < all.falseAlarms.length ? `, first ${show}` : ''}):`,
      );
      for (const m of all.falseAlarms.slice(0, show))
        console.log(
          `  ${m.kind.padEnd(12)} ${JSON.stringify(m.text)} @${m.start} → ${m.iri} (${m.rule})`,
        );
    }
  }
}
