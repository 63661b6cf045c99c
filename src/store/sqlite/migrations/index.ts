/**
 * The embedded migrations, in order. Append only: a shipped step is never edited, and each
 * version number is used once. The last version is the schema this code knows.
 */
import type { Migration } from '../migrate.js'
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

export const MIGRATIONS: readonly Migration[] = [
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

/** The schema this code knows: the last step's version. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0
