/**
 * The one loader of attachments a request hands over — inline (`data`, base64) or by `url` — used
 * by a send (`POST /v1/messages`) and by the webhook channel's inbound endpoint. A URL is fetched
 * through the private-address guard, within a size cap and a timeout; a failure is the API error
 * naming the attachment (`url_forbidden`, `attachment_unavailable`). Nothing is stored here.
 */
import { apiError } from '../errors.js'
import { AttachmentFetchError, fetchAttachment } from '../net/fetch-attachment.js'

/**
 * How long one attachment URL may take (connect to last byte). A request waits on it before its
 * answer, and the platforms' own media fetchers give up after 10–20 s: past that, the sender's
 * server is the problem and the caller should hear so.
 */
const ATTACHMENT_FETCH_TIMEOUT_MS = 15_000

/** An attachment as a request gives it (`attachments[i]`): exactly one of `data` or `url`. */
export interface AttachmentInput {
  filename: string
  content_type: string
  data?: string | undefined
  url?: string | undefined
}

/** An attachment read into memory, ready to be stored as a blob. */
export interface LoadedAttachment {
  filename: string
  content_type: string
  size: number
  data: Buffer
}

export interface LoadOptions {
  /** The largest file accepted from a URL (bytes). */
  maxBytes: number
  /** `security.allow_private_urls`: URLs may point at loopback and private networks. */
  allowPrivate: boolean
  /**
   * Refuse `data` that is not base64 (`invalid_field`). A send checks; the webhook channel's
   * inbound endpoint never did, and keeps decoding what it gets.
   */
  checkBase64: boolean
}

/** Reads every attachment in order; the first that fails ends the request with its API error. */
export async function loadAttachments(
  items: readonly AttachmentInput[],
  o: LoadOptions,
): Promise<LoadedAttachment[]> {
  const out: LoadedAttachment[] = []
  for (const [i, a] of items.entries()) {
    const data = a.data !== undefined ? decode(a.data, i, o) : await fetchUrl(a.url ?? '', i, o)
    out.push({ filename: a.filename, content_type: a.content_type, size: data.length, data })
  }
  return out
}

function decode(data: string, i: number, o: LoadOptions): Buffer {
  if (o.checkBase64 && !/^[A-Za-z0-9+/=\s_-]*$/.test(data)) {
    throw apiError('invalid_field', `attachments[${i}].data: not base64`, {
      field: `attachments[${i}].data`,
    })
  }
  return Buffer.from(data, 'base64')
}

async function fetchUrl(url: string, i: number, o: LoadOptions): Promise<Buffer> {
  try {
    const got = await fetchAttachment(url, {
      allowPrivate: o.allowPrivate,
      maxBytes: o.maxBytes,
      timeoutMs: ATTACHMENT_FETCH_TIMEOUT_MS,
    })
    return got.data
  } catch (e) {
    if (e instanceof AttachmentFetchError) {
      const code =
        e.code === 'url_forbidden' || e.code === 'url_invalid'
          ? 'url_forbidden'
          : 'attachment_unavailable'
      throw apiError(code, `attachments[${i}].url: ${e.message}`, {
        field: `attachments[${i}].url`,
      })
    }
    throw e
  }
}
