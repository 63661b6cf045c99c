/**
 * Outbound: a payload becomes one or more Graph `/<phone_number_id>/messages` requests — a
 * native template when the config maps ours (else its rendered text), then each attachment by link
 * to our signed URL, the text as the caption of the first one that can carry it. The Cloud API
 * has no idempotency key, so the parts already sent are remembered per message id: a retry in the
 * same process resumes after them instead of sending them again.
 */
import {
  SendError,
  type OutboundAttachment,
  type OutboundPayload,
  type SendResult,
} from '../types.js'
import type { GraphClient } from './graph-client.js'
import type { WhatsAppTemplateMapping } from './settings.js'

/** Messages with parts still unsent after a failure; bounded so abandoned ones cannot pile up. */
const PROGRESS_MAX = 10_000

type Part = Record<string, unknown>
interface Progress {
  done: number
  firstId: string | undefined
}

export class WhatsAppSender {
  private readonly progress = new Map<string, Progress>()

  constructor(
    private readonly graph: GraphClient,
    private readonly phoneNumberId: string,
    private readonly templates: Record<string, WhatsAppTemplateMapping>,
  ) {}

  /** Send every part; the platform message id is the first part's `wamid`. */
  async send(out: OutboundPayload): Promise<SendResult> {
    const parts = this.parts(out)
    const progress = this.progress.get(out.messageId) ?? { done: 0, firstId: undefined }
    const to = out.to.replace(/^\+/, '')
    try {
      while (progress.done < parts.length) {
        const body = {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to,
          ...parts[progress.done],
        }
        const res = await this.graph.call<{ messages?: Array<{ id: string }> }>(
          'POST',
          `${this.phoneNumberId}/messages`,
          body,
          out.signal,
        )
        progress.firstId ??= res.messages?.[0]?.id
        progress.done++
      }
    } catch (err) {
      if (progress.done > 0) this.remember(out.messageId, progress)
      throw err
    }
    this.progress.delete(out.messageId)
    return progress.firstId ? { platformMessageId: progress.firstId } : {}
  }

  /** The request bodies (without `messaging_product`/`to`) for a payload. */
  parts(out: OutboundPayload): Part[] {
    const parts: Part[] = []
    const mapping = out.template ? this.templates[out.template.name] : undefined
    let caption = out.text
    if (out.template && mapping) {
      parts.push(templatePart(mapping, out.template.variables))
      caption = null
    } else if (out.text && !canCaption(out.attachments[0])) {
      parts.push({ type: 'text', text: { body: out.text, preview_url: false } })
      caption = null
    }
    out.attachments.forEach((a, i) => parts.push(mediaPart(a, i === 0 ? caption : null)))
    if (parts.length === 0)
      throw new SendError('rejected', 'empty_message', 'whatsapp-cloud: nothing to send')
    return parts
  }

  private remember(messageId: string, progress: Progress): void {
    if (!this.progress.has(messageId) && this.progress.size >= PROGRESS_MAX) {
      this.progress.delete(this.progress.keys().next().value!)
    }
    this.progress.set(messageId, progress)
  }
}

function templatePart(mapping: WhatsAppTemplateMapping, variables: Record<string, string>): Part {
  const parameters = mapping.parameters.map((name) => {
    const text = variables[name]
    if (text === undefined) {
      throw new SendError(
        'rejected',
        'variable_missing',
        `whatsapp-cloud: template ${mapping.name} needs variable ${name}`,
      )
    }
    return { type: 'text', text }
  })
  return {
    type: 'template',
    template: {
      name: mapping.name,
      language: { code: mapping.language },
      ...(parameters.length > 0 ? { components: [{ type: 'body', parameters }] } : {}),
    },
  }
}

function mediaKind(a: OutboundAttachment): 'image' | 'video' | 'audio' | 'document' {
  const type = a.contentType.toLowerCase()
  // WhatsApp shows only JPEG and PNG as images; other images travel as documents.
  if (type === 'image/jpeg' || type === 'image/png') return 'image'
  if (type.startsWith('video/')) return 'video'
  if (type.startsWith('audio/')) return 'audio'
  return 'document'
}

function canCaption(a: OutboundAttachment | undefined): boolean {
  return a !== undefined && mediaKind(a) !== 'audio'
}

function mediaPart(a: OutboundAttachment, caption: string | null): Part {
  const kind = mediaKind(a)
  const media: Record<string, string> = { link: a.url }
  if (caption) media.caption = caption
  if (kind === 'document') media.filename = a.filename
  return { type: kind, [kind]: media }
}
