/**
 * `npm run test:reliability` (DESIGN §9): crash, faults, bad input and security, against the real
 * daemon and the real store. One file at a time: the crash suite drives a daemon flat out, and
 * two such suites side by side on a 2-core CI machine would only slow each other down.
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/reliability/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
})
