/**
 * What each channel type accepts, from the platforms' published limits. The rules refuse anything
 * outside these before a job is queued, so a platform never sees an over-long text (never cut).
 */
import type { ChannelLimits, ChannelType } from './types.js'

const MB = 1024 * 1024

export const CHANNEL_LIMITS: Readonly<Record<ChannelType, ChannelLimits>> = {
  // Bot API: 4096 chars a message, 1024 a caption, 10 items a media group, 50 MB upload by bot.
  telegram: {
    textMax: 4096,
    captionMax: 1024,
    attachmentsMax: 10,
    attachmentBytesMax: 50 * MB,
    attachmentTypes: [],
  },
  // WhatsApp: 4096 chars of text, 1024 of caption; 16 MB media (100 MB documents, kept lower here).
  whatsapp: {
    textMax: 4096,
    captionMax: 1024,
    attachmentsMax: 10,
    attachmentBytesMax: 16 * MB,
    attachmentTypes: [],
  },
  'whatsapp-cloud': {
    textMax: 4096,
    captionMax: 1024,
    attachmentsMax: 10,
    attachmentBytesMax: 16 * MB,
    attachmentTypes: ['image/', 'video/', 'audio/', 'application/', 'text/'],
  },
  // LINE push: 5000 chars a text object, at most 5 message objects a request (1 text + 4 files).
  line: {
    textMax: 5000,
    captionMax: null,
    attachmentsMax: 4,
    attachmentBytesMax: 10 * MB,
    attachmentTypes: ['image/', 'video/', 'audio/'],
  },
  // Most providers cap a whole mail near 25 MB; bodies have no practical limit.
  email: {
    textMax: 1_000_000,
    captionMax: null,
    attachmentsMax: 20,
    attachmentBytesMax: 20 * MB,
    attachmentTypes: [],
  },
  // A push payload is at most 4096 bytes encrypted; the connector checks the final size.
  webpush: {
    textMax: 3000,
    captionMax: null,
    attachmentsMax: 0,
    attachmentBytesMax: 0,
    attachmentTypes: [],
  },
  webhook: {
    textMax: 100_000,
    captionMax: null,
    attachmentsMax: 10,
    attachmentBytesMax: 25 * MB,
    attachmentTypes: [],
  },
  // Our own widget: a chat message stays chat-sized; files go through the gateway's blob store.
  webchat: {
    textMax: 10_000,
    captionMax: null,
    attachmentsMax: 5,
    attachmentBytesMax: 10 * MB,
    attachmentTypes: [],
  },
}
