/** App-webhook dead letters as the API answers them (DESIGN §15). */
import { z } from 'zod'
import { idOf, jsonObject, named, page, timestamp } from './common.js'

export const delivery = named(
  'WebhookDelivery',
  z.object({
    id: z.number().int().meta({ description: 'The delivery id (replay it by this id).' }),
    event_id: idOf('ev'),
    type: z.string().nullable().meta({ description: 'The event type, null when unreadable.' }),
    url: z.string().meta({ description: 'The webhook it was for (`webhooks[].url`).' }),
    status: z.enum(['failed']),
    attempts: z.number().int().min(1),
    error: z
      .string()
      .nullable()
      .meta({ description: 'What went wrong last: `HTTP 503`, `timeout` …' }),
    failed_at: timestamp,
    event: jsonObject.nullable().meta({ description: 'The event as it was (and will be) sent.' }),
  }),
  {
    description: 'An app-webhook delivery that used up its retries (a dead letter).',
    examples: [
      {
        id: 42,
        event_id: 'ev_01jb2m7c4d5e6f7g8h9j0k1m2p',
        type: 'message.inbound',
        url: 'https://app.example/omnigate/events',
        status: 'failed',
        attempts: 30,
        error: 'HTTP 503',
        failed_at: '2025-03-02T17:41:00.000Z',
        event: {
          id: 'ev_01jb2m7c4d5e6f7g8h9j0k1m2p',
          type: 'message.inbound',
          created_at: '2025-03-01T23:02:00.000Z',
          data: {},
        },
      },
    ],
  },
)

export const deliveryPage = named('WebhookDeliveryPage', page(delivery), {
  description: 'Dead letters, newest first.',
})

export const deliveryReplayed = named(
  'WebhookReplay',
  z.object({
    id: z.number().int().meta({ description: 'The fresh delivery, queued now.' }),
    event_id: idOf('ev'),
    status: z.enum(['queued']),
  }),
  { description: 'A dead letter queued again: the same event id, a fresh delivery.' },
)
