/**
 * Migration 6: nothing on SQLite. PostgreSQL's step 6 (`postgres/migrations/006-rate-slots.ts`)
 * adds the rate slots several daemons share; one SQLite file has one daemon, whose pacing in
 * memory is the whole truth. The step exists so version 6 means the same on both dialects.
 */
import type { Migration } from '../migrate.js'

export const rateSlots: Migration = { version: 6, name: 'rate-slots', up: () => undefined }
