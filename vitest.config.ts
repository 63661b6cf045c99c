import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The second sets up PostgreSQL only when OMNIGATE_TEST_STORE=postgres (test/helpers/postgres.ts).
    globalSetup: ['test/global-setup.ts', 'test/postgres-setup.ts'],
  },
})
