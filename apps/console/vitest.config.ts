import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'console',
    include: ['test/**/*.test.ts'],
    testTimeout: 150_000,
    hookTimeout: 90_000,
  },
});
