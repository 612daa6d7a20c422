import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__test__/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 600_000,
    // Native work is multithreaded; run spec files one at a time so timings stay sane on 2 cores.
    fileParallelism: false,
    // Type-level tests of the public API and the generated binding (`__test__/*.test-d.ts`).
    typecheck: { enabled: true, include: ['__test__/**/*.test-d.ts'], tsconfig: './tsconfig.typecheck.json' },
  },
});
