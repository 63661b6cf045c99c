/**
 * The shape of a Telegram update as the webhook handler reads it. Long polling gets updates from
 * grammY, typed by Telegram; webhook mode gets whatever JSON carries our secret, so its updates
 * are checked first: one without the fields we read is skipped, not stored half or crashed on.
 */
import { z } from 'zod'

const file = z.looseObject({
  file_id: z.string().min(1).max(512),
  file_unique_id: z.string().min(1).max(512),
  file_name: z.string().max(255).optional(),
  mime_type: z.string().max(255).optional(),
})
// A chat id is a non-zero integer (the address our rules accept).
const chat = z.looseObject({
  id: z
    .number()
    .int()
    .refine((n) => n !== 0),
  type: z.string(),
})
const text = z.string().max(100_000)

const message = z.looseObject({
  message_id: z.number().int(),
  // Unix seconds, within what a Date can hold.
  date: z.number().int().min(0).max(8.64e12),
  chat,
  from: z
    .looseObject({
      first_name: z.string().max(200).optional(),
      last_name: z.string().max(200).optional(),
    })
    .optional(),
  text: text.optional(),
  caption: text.optional(),
  photo: z.array(file).optional(),
  document: file.optional(),
  video: file.optional(),
  audio: file.optional(),
  voice: file.optional(),
})

const update = z.looseObject({
  update_id: z.number().int(),
  message: message.optional(),
  my_chat_member: z
    .looseObject({ chat, new_chat_member: z.looseObject({ status: z.string() }) })
    .optional(),
})

/** Whether `u` has the shape of the update parts we read (message, my_chat_member). */
export function readableUpdate(u: unknown): boolean {
  return update.safeParse(u).success
}
