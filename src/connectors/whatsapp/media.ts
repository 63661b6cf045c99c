/**
 * How an attachment goes out: WhatsApp shows JPEG/PNG as photos, MP4/3GP as videos and common audio
 * as voice-player audio; anything else (and other image/video formats, which WhatsApp Web fails to
 * transcode) goes as a document, which keeps its filename and bytes intact.
 */
import type { WhatsAppSendOptions } from './client-like.js'

const INLINE_TYPES = new Set([
  'image/jpeg',
  'image/png',
  'video/mp4',
  'video/3gpp',
  'audio/ogg',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/amr',
])

/** Send options for one attachment; `caption` goes with the first one only. */
export function sendOptionsFor(mimetype: string, caption: string | undefined): WhatsAppSendOptions {
  const base = mimetype.split(';')[0]?.trim().toLowerCase() ?? ''
  const options: WhatsAppSendOptions = {}
  if (caption !== undefined) options.caption = caption
  if (!INLINE_TYPES.has(base)) options.sendMediaAsDocument = true
  return options
}
