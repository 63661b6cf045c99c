/**
 * Step 8 of DESIGN §5: the content itself — known template, something to send, every variable
 * filled, within the channel's limits, and for email a known sender, a subject and valid bcc.
 */
import { checkEmail } from './email-check.js'
import { fail, missingVariable, refusal, type Failed, type Refusal } from './refusal.js'
import { renderTemplate, renderText, type RenderContext, type RenderResult } from './render.js'
import type { ChannelInfo, ContactFacts, Decision, SendContent, TemplateDef } from './types.js'

export type Rendered = NonNullable<Decision['rendered']>

const EMPTY_MESSAGE = 'Nothing to send: give a text, attachments or a template.'

export type ContentOutcome = { ok: true; rendered: Rendered } | Failed

/**
 * Checks and renders a send's content for a channel. `emailChannel` marks channels whose addresses
 * are email addresses (type email, or a webhook relay with `address: email`).
 */
export function checkContent(
  channel: ChannelInfo,
  emailChannel: boolean,
  contact: ContactFacts,
  content: SendContent,
  templates: Record<string, TemplateDef>,
): ContentOutcome {
  const { template } = content
  const def = template === null ? undefined : lookupTemplate(templates, template.name)
  if (template !== null && def === undefined) {
    return fail(
      'template_unknown',
      `Template "${template.name}" is not defined: check the name, or add it under templates ` +
        'in the config.',
      `templates.${template.name}`,
    )
  }
  const hasText = content.text !== null && content.text.trim() !== ''
  const files = content.attachments.length > 0
  if (!hasText && !files && template === null) return fail('empty_message', EMPTY_MESSAGE)

  const ctx: RenderContext = {
    variables: template === null ? [content.variables] : [template.variables, content.variables],
    contact,
  }
  // A template is the whole text of a send: a request's `text` beside it is not rendered.
  const body: RenderResult =
    def !== undefined ? renderTemplate(def, ctx) : renderText(content.text ?? '', ctx)
  if (!body.ok) return missingVariable(body.variable, template?.name)
  if (body.text.trim() === '' && !files) return fail('empty_message', EMPTY_MESSAGE)
  const text = body.text.trim() === '' ? null : body.text

  const limits = checkLimits(channel, text, content.attachments)
  if (limits !== null) return { ok: false, refusal: limits }

  let email: Rendered['email'] = null
  if (emailChannel) {
    const title = def?.title == null ? null : renderText(def.title, ctx)
    const r = checkEmail(channel, content.email, title?.ok === true ? title.text : null, ctx)
    if (!r.ok) return r
    email = r.email
  }
  return {
    ok: true,
    rendered: {
      text,
      template: template === null ? null : { name: template.name, variables: body.values },
      email,
    },
  }
}

function lookupTemplate(
  templates: Record<string, TemplateDef>,
  name: string,
): TemplateDef | undefined {
  return Object.hasOwn(templates, name) ? templates[name] : undefined
}

function checkLimits(
  channel: ChannelInfo,
  text: string | null,
  attachments: SendContent['attachments'],
): Refusal | null {
  const { limits, name } = channel
  const rule = `channels.${name}.type`
  // UTF-16 units: never below the character count platforms use, so nothing over-long gets through.
  const length = text?.length ?? 0
  const asCaption = attachments.length > 0 && limits.captionMax !== null
  const max = Math.min(limits.textMax, asCaption ? (limits.captionMax ?? Infinity) : Infinity)
  if (length > max) {
    const what = max < limits.textMax ? 'as a caption beside attachments' : 'in one message'
    return refusal(
      'text_too_long',
      `The text is ${length} characters; channel "${name}" accepts ${max} ${what}: shorten it` +
        (asCaption ? ', or send the text and the attachments separately.' : '.'),
      rule,
      { max, length },
    )
  }
  if (attachments.length > limits.attachmentsMax) {
    const first = attachments[limits.attachmentsMax]
    const message =
      limits.attachmentsMax === 0
        ? `Channel "${name}" does not accept attachments: send text only.`
        : `Channel "${name}" accepts at most ${limits.attachmentsMax} attachments in one send, ` +
          `this one has ${attachments.length}: split it into several sends.`
    return refusal('attachment_rejected', message, rule, {
      filename: first?.filename ?? null,
      reason: 'too_many',
      max: limits.attachmentsMax,
    })
  }
  for (const a of attachments) {
    if (a.size > limits.attachmentBytesMax) {
      return refusal(
        'attachment_rejected',
        `Attachment "${a.filename}" is ${megabytes(a.size)}; channel "${name}" accepts at most ` +
          `${megabytes(limits.attachmentBytesMax)} a file: send a smaller file or a link.`,
        rule,
        { filename: a.filename, reason: 'too_large', size: a.size, max: limits.attachmentBytesMax },
      )
    }
    const type = a.content_type.toLowerCase()
    const types = limits.attachmentTypes
    if (types.length > 0 && !types.some((prefix) => type.startsWith(prefix.toLowerCase()))) {
      return refusal(
        'attachment_rejected',
        `Attachment "${a.filename}" is ${a.content_type}, which channel "${name}" does not ` +
          `accept (accepted: ${types.join(', ')}).`,
        rule,
        { filename: a.filename, reason: 'type', content_type: a.content_type, accepted: types },
      )
    }
  }
  return null
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`
}
