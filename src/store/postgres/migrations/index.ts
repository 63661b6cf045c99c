/**
 * The PostgreSQL migrations, in order, numbered as SQLite's (`sqlite/migrations/`): version n is
 * the same schema on both, so `omnigate migrate` and the "newer than this omnigate" refusal mean
 * the same thing whichever store runs. Append only; a shipped step is never edited.
 */
import type { PgMigration } from '../migrate.js'
import { initial } from './001-initial.js'
import { bulk } from './002-bulk.js'
import { undelivered } from './003-undelivered.js'
import { bulkFailed } from './004-bulk-failed.js'
import { contactVersion } from './005-contact-version.js'
import { rateSlots } from './006-rate-slots.js'
import { consent } from './007-consent.js'
import { dataRights } from './008-data-rights.js'
import { schedule } from './009-schedule.js'
import { merge } from './010-merge.js'
import { automations } from './011-automations.js'
import { webchat } from './012-webchat.js'
import { reserveInMemory } from './013-reserve-in-memory.js'

export const PG_MIGRATIONS: readonly PgMigration[] = [
  initial,
  bulk,
  undelivered,
  bulkFailed,
  contactVersion,
  rateSlots,
  consent,
  dataRights,
  schedule,
  merge,
  automations,
  webchat,
  reserveInMemory,
]

/** @internal exported for its tests */
export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0
