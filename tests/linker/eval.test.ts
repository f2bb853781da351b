/**
 * The linker's quality on the hand-annotated texts (tests/fixtures/linker/gold, texts in
 * ../shared/sources): floors on F1 so a change that makes linking worse fails the build.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEvaluation } from '../../src/linker/evaluate.js';
import { runLinkerEvaluation } from '../../src/cli/evalLinker.js';
import { SHARED } from '../util/server.js';

const shared = existsSync(path.join(SHARED, 'sources'));
if (!shared)
  console.warn(
    '[linker eval] ../shared/sources is absent: scoring only the gold texts kept in tests/fixtures/linker/texts',
  );

describe('linker evaluation', () => {
  it('keeps F1 ≥ 0.90 on the development texts and ≥ 0.85 on the held-out texts (strict spans)', async () => {
    const result = await runLinkerEvaluation('strict');
    expect(result).toBeDefined();
    console.log(formatEvaluation('[linker] development texts (strict)', result!.dev));
    console.log(formatEvaluation('[linker] held-out texts (strict)', result!.heldOut));
    // The held-out texts are kept in tests/fixtures/linker/texts, so they are always scored.
    const heldOut = result!.heldOut.overall;
    expect(heldOut.tp + heldOut.fn).toBeGreaterThan(300);
    expect(result!.dev.overall.f1).toBeGreaterThanOrEqual(0.9);
    expect(result!.heldOut.overall.f1).toBeGreaterThanOrEqual(0.85);
    expect(result!.dev.overall.precision).toBeGreaterThanOrEqual(0.9);
  });
});
