/** Data-rights answers (DESIGN §15). */
import { z } from 'zod'
import { idOf, named, timestamp } from './common.js'
import { consent } from '../../consent/schemas.js'
import { contact } from './contacts.js'
import { message } from './messages.js'
import { threadWithEvents } from './threads.js'
import { delivery } from './webhooks.js'

export const contactErased = named(
  'ContactErased',
  z.object({ contact_id: idOf('ct'), erased_at: timestamp }),
  {
    description: 'The contact is erased: nothing about the person is left.',
    examples: [
      { contact_id: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z', erased_at: '2025-03-02T17:41:00.000Z' },
    ],
  },
)

const exportedAttachment = named(
  'ExportedAttachment',
  z.object({
    id: idOf('att'),
    message_id: idOf('msg'),
    filename: z.string(),
    content_type: z.string(),
    size: z.number().int().min(0),
    url: z
      .string()
      .meta({ description: 'A signed link to the file; no key needed until expires_at.' }),
    expires_at: timestamp,
  }),
  { description: 'An attachment of an exported message, as a signed, expiring link.' },
)

export const contactExport = named(
  'ContactExport',
  z.object({
    exported_at: timestamp,
    contact,
    threads: z.array(threadWithEvents),
    messages: z.array(message),
    attachments: z.array(exportedAttachment),
    consent: consent.meta({
      description: 'Consent per channel and its history, as GET …/consent.',
    }),
    merged: z.array(idOf('ct')).meta({
      description: 'The ids of the contacts merged into this one (their data is included above).',
    }),
    dead_letters: z.array(delivery).meta({
      description: 'App-webhook deliveries about the contact that used up their retries.',
    }),
  }),
  { description: 'Everything held about a contact (DESIGN §15).' },
)

/** `POST /v1/contacts/{id}/merge`: the survivor, and the ids merged into it by the call. */
export const contactMerged = named(
  'ContactMerged',
  contact.extend({
    merged: z.array(idOf('ct')).meta({ description: 'The ids merged into it by this call.' }),
  }),
  { description: 'The surviving contact as GET answers it, and the ids merged into it.' },
)

/** 301 to a read of a merged contact: `Location: /v1/contacts/<survivor>`. */
export const contactMoved = named('ContactMoved', z.object({ merged_into: idOf('ct') }), {
  description: 'The contact was merged into another: read the survivor (Location) instead.',
  examples: [{ merged_into: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z' }],
})
