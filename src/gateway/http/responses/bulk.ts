/** Bulks as the API answers them: progress of a job, and the counts of a dry run. */
import { z } from 'zod'
import { count, idOf, maybeTimestamp, named, stringMap, timestamp } from './common.js'
import { author, template } from './messages.js'

const skipped = z
  .record(z.string(), count)
  .meta({ description: 'Recipients skipped, by refusal code (`contact_first`: 12 …).' })

export const bulk = named(
  'Bulk',
  z.object({
    id: idOf('bk'),
    channel: z.string(),
    status: z.enum(['running', 'done', 'cancelled', 'failed']),
    total: count,
    checked: count.meta({ description: 'Recipients through the rules so far (final at total).' }),
    eligible: count,
    skipped,
    counts: z
      .object({
        queued: count,
        sending: count,
        sent: count,
        delivered: count,
        read: count,
        failed: count,
        cancelled: count,
      })
      .meta({ description: "The bulk's messages per status." }),
    author,
    filter: stringMap.nullable().meta({ description: 'The resolved filter; null for ids.' }),
    text: z.string().nullable(),
    template: template.nullable(),
    created_at: timestamp,
    cancelled_at: maybeTimestamp,
    finished_at: maybeTimestamp,
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .meta({ description: 'Why a `failed` bulk failed (`corrupt_record`); null otherwise.' }),
    unreadable: z.array(z.string()).optional().meta({
      description: 'Only on a damaged row: the fields shown empty as they could not be read.',
    }),
  }),
  {
    description:
      'A bulk send: `eligible` + Σ `skipped` = `checked`, final once it reaches `total`.',
    examples: [
      {
        id: 'bk_01jb2m9a8b7c6d5e4f3g2h1j0k',
        channel: 'sms',
        status: 'running',
        total: 1200,
        checked: 1000,
        eligible: 988,
        skipped: { contact_blocked: 4, no_address: 8 },
        counts: {
          queued: 700,
          sending: 8,
          sent: 280,
          delivered: 0,
          read: 0,
          failed: 0,
          cancelled: 0,
        },
        author: { kind: 'app', id: 'shop' },
        filter: { tag: 'vip' },
        text: 'Hello {{first_name}}, our sale starts today.',
        template: null,
        created_at: '2025-03-02T18:00:00.000Z',
        cancelled_at: null,
        finished_at: null,
        error: null,
      },
    ],
  },
)

export const bulkDryRun = named(
  'BulkDryRun',
  z.object({
    dry_run: z.literal(true),
    channel: z.string(),
    total: count,
    eligible: count,
    skipped,
  }),
  { description: 'dry_run: how many would be sent and why the others would not; nothing stored.' },
)
