import { defineConfig } from 'vitest/config';

// One run over every workspace package, so `make test` prints one summary.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
