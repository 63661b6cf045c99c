/** Threads as the API answers them: a thread, its events, list pages. */
import { z } from 'zod'
import { idOf, jsonObject, maybeTimestamp, named, page, timestamp } from './common.js'

export const thread = named(
  'Thread',
  z.object({
    id: idOf('th'),
    contact_id: idOf('ct'),
    channel: z.string(),
    status: z.enum(['open', 'snoozed', 'closed']),
    assignee: z.string().nullable().meta({ description: 'An agent key id, or null.' }),
    tags: z.array(z.string()),
    snoozed_until: maybeTimestamp,
    created_at: timestamp,
    updated_at: timestamp,
    closed_at: maybeTimestamp,
  }),
  {
    description: 'A conversation with a contact on one channel.',
    examples: [
      {
        id: 'th_01jb2m7c4d5e6f7g8h9j0k1m2p',
        contact_id: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z',
        channel: 'sms',
        status: 'open',
        assignee: 'alice',
        tags: ['billing'],
        snoozed_until: null,
        created_at: '2025-03-02T17:41:00.000Z',
        updated_at: '2025-03-02T17:41:00.000Z',
        closed_at: null,
      },
    ],
  },
)

export const threadEvent = named(
  'ThreadEvent',
  z.object({
    id: idOf('te'), // numbered by the store at the insert, not by newId()
    thread_id: idOf('th'),
    contact_id: idOf('ct'),
    type: z.enum([
      'opened',
      'reopened',
      'assigned',
      'unassigned',
      'tagged',
      'snoozed',
      'woke',
      'closed',
      'opted_out',
      'opted_in',
      'retried',
      'merged',
      'contact_merged',
    ]),
    actor: z.string().meta({ description: 'A key id, `system` (scheduler) or `contact`.' }),
    data: jsonObject,
    at: timestamp,
  }),
  {
    description:
      'Something that happened to a thread (opted_out/opted_in: consent on its channel changed, data.source says who; merged: closed by a contact merge, data.kept_thread_id; contact_merged: contacts were merged into its contact, data.from).',
  },
)

export const threadWithEvents = named(
  'ThreadWithEvents',
  thread.extend({ events: z.array(threadEvent) }),
  { description: 'A thread with its events, oldest first.' },
)

export const threadPage = named('ThreadPage', page(thread), { description: 'Threads.' })
