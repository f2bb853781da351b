import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores in CI: two test files at a time, each may start worker threads of its own.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    coverage: { provider: 'v8', include: ['src/**'] },
  },
});
