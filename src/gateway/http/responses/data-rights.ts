/** Data-rights answers (DESIGN §15). */
import { z } from 'zod'
import { idOf, named, timestamp } from './common.js'

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
