import { defineConfig } from 'vitest/config';

// One run over every workspace package, so `make test` prints one summary. Two test files at a time:
// Vitest's default on a 2-core machine is one (cores - 1), but most of our files wait on broker
// processes, Postgres and Docker rather than on their own CPU, so two halve the run.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    maxWorkers: 2,
  },
});
