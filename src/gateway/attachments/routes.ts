/** `GET /v1/attachments/{id}`: the file, for a bearer key or a signed link. */
import type { Context } from 'hono'
import type { z } from 'zod'
import { apiError, notFound } from '../errors.js'
import type { RouteInput } from '../http/route.js'
import type { attachmentQuery } from '../http/schemas.js'
import type { Services } from '../services.js'

export const getAttachment =
  (svc: Services) =>
  async (i: RouteInput<unknown, z.infer<typeof attachmentQuery>>): Promise<Response> => {
    const id = i.params.id ?? ''
    const a = await svc.store.attachments.get(id)
    if (!a) throw notFound('attachment', id)
    const data = await svc.store.blobs.read(a.sha256)
    return new Response(new Uint8Array(data), {
      status: 200,
      headers: {
        'content-type': a.content_type,
        'content-length': String(a.size),
        'content-disposition': `attachment; filename="${a.filename.replace(/["\\\r\n]/g, '_')}"`,
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
      },
    })
  }

/** The signed-link check of `GET /v1/attachments/{id}`: a bearer key or a valid `exp` + `sig`. */
export const attachmentAccess =
  (svc: Services, authenticate: (c: Context) => void) =>
  (x: { c: Context; params: Record<string, string> }): void => {
    const exp = x.c.req.query('exp')
    const sig = x.c.req.query('sig')
    if (exp !== undefined || sig !== undefined) {
      if (!svc.links.verify(x.params.id ?? '', exp, sig, Date.now())) {
        throw apiError('signature_invalid', 'the attachment link is invalid or has expired')
      }
      return
    }
    authenticate(x.c)
  }
