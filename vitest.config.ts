import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/policy/**/*.ts'],
      reporter: ['text-summary'],
      // The policy engine is the specification: CI fails below 95% of its lines or branches.
      thresholds: { lines: 95, branches: 95 },
    },
  },
});
