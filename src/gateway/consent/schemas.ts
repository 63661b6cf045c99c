/**
 * The consent API's shapes (DESIGN §15): the body of `PUT /v1/contacts/{id}/consent` and the
 * answer of both methods, named in the OpenAPI document.
 */
import { z } from 'zod'
import { idOf, named, timestamp } from '../http/responses/common.js'

/** `PUT /v1/contacts/{id}/consent`: the caller's key is recorded as the source. */
export const consentBody = z
  .object({
    channel: z.string().min(1).max(32),
    status: z.enum(['opted_out', 'opted_in']),
    note: z.string().max(500).optional().meta({ description: 'Why (kept in the history).' }),
  })
  .strict()
export type ConsentBody = z.infer<typeof consentBody>

const status = z.enum(['opted_in', 'opted_out'])
const source = named(
  'ConsentSource',
  z.object({
    kind: z.enum(['keyword', 'one_click', 'agent', 'app', 'api']).meta({
      description:
        'keyword: the person wrote one; one_click: the email List-Unsubscribe link; agent, app, api: a key of that role (api: an admin key) through PUT …/consent.',
    }),
    id: z
      .string()
      .optional()
      .meta({ description: 'keyword: the inbound message; agent/app/api: the key id.' }),
    text: z.string().optional().meta({ description: 'keyword: the keyword; otherwise the note.' }),
  }),
  { description: 'Who changed a contact’s consent.' },
)
const change = z.object({ channel: z.string(), status, at: timestamp, source })

const at = '2026-01-02T10:00:00.000Z'
const example = {
  contact_id: 'ct_01jfqz5v8m4k2n7p9r3s6t0w1x',
  channels: [
    {
      channel: 'sms',
      status: 'opted_out' as const,
      at,
      source: { kind: 'keyword' as const, id: 'msg_01jfqz5v8m4k2n7p9r3s6t0w1y', text: 'STOP' },
    },
  ],
  history: [
    {
      channel: 'sms',
      status: 'opted_out' as const,
      at,
      source: { kind: 'keyword' as const, id: 'msg_01jfqz5v8m4k2n7p9r3s6t0w1y', text: 'STOP' },
    },
  ],
}

export const consent = named(
  'Consent',
  z.object({
    contact_id: idOf('ct'),
    channels: z.array(change).meta({
      description:
        'The current state of each channel whose consent was ever set; a channel not listed is opted in.',
    }),
    history: z.array(change).meta({ description: 'Every change, oldest first.' }),
  }),
  { description: 'A contact’s consent per channel and its history.', examples: [example] },
)
