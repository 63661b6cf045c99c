/** A send request's content as the rules check it, and a decision as a dry run answers it. */
import type { z } from 'zod'
import type { Decision, SendContent } from '../../rules/types.js'
import type { LoadedAttachment } from '../attachments/index.js'
import type { decision } from '../http/responses/index.js'
import type { SendBody } from '../http/schemas.js'

/** The content of `POST /v1/messages`, its attachments already loaded (their sizes are checked). */
export function sendContent(body: SendBody, attachments: readonly LoadedAttachment[]): SendContent {
  return {
    text: body.text ?? null,
    attachments: attachments.map((a) => ({
      filename: a.filename,
      content_type: a.content_type,
      size: a.size,
    })),
    template: body.template
      ? { name: body.template.name, variables: body.template.variables ?? {} }
      : null,
    variables: body.variables ?? {},
    email: body.email
      ? {
          from: body.email.from ?? null,
          subject: body.email.subject ?? null,
          bcc: body.email.bcc ?? [],
        }
      : null,
    tags: body.tags ?? [],
  }
}

/** A decision as `dry_run` answers it (the `Decision` schema). */
export function decisionView(d: Decision): Omit<z.output<typeof decision>, 'dry_run'> {
  return {
    allowed: d.allowed,
    code: d.code ?? null,
    message: d.message,
    rule: d.rule ?? null,
    allowed_kinds: d.allowed_kinds,
    window_expires_at: d.window_expires_at ?? null,
    address: d.address ?? null,
    rendered: d.rendered ?? null,
    thread_id: d.reuseThreadId ?? null,
  }
}
