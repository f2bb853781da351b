/** Latency sampling and percentiles shared by the in-process probe and the HTTP runner. */

export interface Budget {
  /** Untimed runs first. */
  readonly warmup: number;
  /** At most this many timed runs … */
  readonly runs: number;
  /** … and no more timed runs once this much time has gone (at least `minRuns` are made). */
  readonly maxMs: number;
  readonly minRuns: number;
}

export interface Latency {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export function summarize(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

/** Runs `fn` per the budget and returns its latencies in milliseconds. */
export async function sample(budget: Budget, fn: () => unknown): Promise<Latency> {
  // Warm-up: at least one run, no more once the budget's time has gone (slow peers at 1M).
  const warmStarted = performance.now();
  for (
    let i = 0;
    i < budget.warmup && (i === 0 || performance.now() - warmStarted < budget.maxMs);
    i++
  ) {
    await fn();
  }
  const samples: number[] = [];
  const started = performance.now();
  // At least three timed runs; up to minRuns while within four times the budget; then until the budget.
  const floor = Math.min(3, budget.minRuns);
  for (;;) {
    const elapsed = performance.now() - started;
    const more =
      samples.length < budget.runs &&
      (samples.length < floor ||
        elapsed < budget.maxMs ||
        (samples.length < budget.minRuns && elapsed < 4 * budget.maxMs));
    if (!more) break;
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}
