/**
 * Migration 13: nothing on SQLite. PostgreSQL's step 13 (`postgres/migrations/013-reserve-in-memory.ts`)
 * rewrites its shared rate slots' function; the step exists so version 13 means the same on both
 * dialects.
 */
import type { Migration } from '../migrate.js'

export const reserveInMemory: Migration = {
  version: 13,
  name: 'reserve-in-memory',
  up: () => undefined,
}
