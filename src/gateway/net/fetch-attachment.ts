/**
 * Downloads an attachment given by URL in an API request (`attachments: [{url}]`), safely: the URL
 * and every redirect are checked by the SSRF guard, the connection goes to exactly the addresses
 * that were checked (a second DNS answer cannot rebind it inside), the body is capped while it is
 * read and the whole fetch has a deadline.
 */
import type { LookupAddress, LookupOptions } from 'node:dns'
import { isIP } from 'node:net'
import { Client } from 'undici'
import { filenameOf, mediaType } from './attachment-meta.js'
import { checkPublicUrl, type HostLookup } from './url-guard.js'

const MAX_REDIRECTS = 3 // enough for http→https and a CDN hop; more is a loop or a probe
const REDIRECTS = new Set([301, 302, 303, 307, 308])

export type AttachmentFetchErrorCode =
  'url_forbidden' | 'url_invalid' | 'fetch_failed' | 'too_large'

/** The only error `fetchAttachment` throws. Messages name the host at most, never path or query. */
export class AttachmentFetchError extends Error {
  readonly code: AttachmentFetchErrorCode

  constructor(code: AttachmentFetchErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'AttachmentFetchError'
    this.code = code
  }
}

export interface FetchAttachmentOptions {
  /** `security.allow_private_urls`. */
  allowPrivate: boolean
  /** Larger bodies are refused (`too_large`) without being read further. */
  maxBytes: number
  /** Deadline for the whole fetch, redirects included. */
  timeoutMs: number
  signal?: AbortSignal
  /** DNS seam for tests (default: the system resolver). */
  lookup?: HostLookup
  /** Test seam, see `UrlCheckOptions.isForbidden`. */
  isForbidden?: (address: string) => boolean
}

export interface FetchedAttachment {
  data: Buffer
  /** The media type (`image/png`), parameters dropped; null when the server sent none. */
  contentType: string | null
  /** From `Content-Disposition`, else the last path segment; null when neither gives one. */
  filename: string | null
}

type LookupCallback = (
  err: Error | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/** A `net.connect` lookup that answers only with the addresses the guard approved. */
function pinnedLookup(addresses: string[]) {
  const all: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }))
  return (_host: string, options: LookupOptions, callback: LookupCallback): void => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0
    const usable = all.filter((a) => wanted === 0 || a.family === wanted)
    const list = usable.length > 0 ? usable : all
    if (options.all) callback(null, list)
    else callback(null, list[0]?.address ?? '', list[0]?.family ?? 4)
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** Rejects as soon as `signal` aborts, so a hung resolver cannot outlive the deadline. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // Every abort here carries an Error (the deadline's AttachmentFetchError, or DOMException).
    const onAbort = () =>
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

interface Body extends AsyncIterable<Buffer> {
  destroy(): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
}

/** Stops reading: undici reports a destroyed body as an error, which nobody waits for here. */
function discard(body: Body): void {
  body.on('error', () => {})
  body.destroy()
}

function tooLarge(max: number): AttachmentFetchError {
  return new AttachmentFetchError('too_large', `the attachment is larger than ${max} bytes`)
}

async function readCapped(body: Body, max: number) {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > max) {
      discard(body)
      throw tooLarge(max)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

/**
 * Fetches `url` under the SSRF guard (see the module comment). Throws `AttachmentFetchError`:
 * `url_invalid` (not an http(s) URL), `url_forbidden` (it or a redirect points inside),
 * `too_large` (over `maxBytes`), `fetch_failed` (DNS, connection, non-2xx answer, too many
 * redirects, timeout or abort).
 */
export async function fetchAttachment(
  url: string,
  opts: FetchAttachmentOptions,
): Promise<FetchedAttachment> {
  const deadline = new AbortController()
  const timer = setTimeout(() => {
    deadline.abort(new AttachmentFetchError('fetch_failed', `timed out after ${opts.timeoutMs} ms`))
  }, opts.timeoutMs)
  const onCallerAbort = () =>
    deadline.abort(new AttachmentFetchError('fetch_failed', 'the fetch was aborted'))
  if (opts.signal?.aborted) onCallerAbort()
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true })
  const signal = deadline.signal

  try {
    let current = url
    for (let hop = 0; ; hop++) {
      const check = await untilAborted(
        checkPublicUrl(current, {
          allowPrivate: opts.allowPrivate,
          lookup: opts.lookup,
          isForbidden: opts.isForbidden,
        }),
        signal,
      )
      if (!check.ok) {
        const code = check.code === 'dns_failed' ? 'fetch_failed' : check.code
        throw new AttachmentFetchError(code, check.reason)
      }
      const client = new Client(check.url.origin, {
        connect: { lookup: pinnedLookup(check.addresses), timeout: opts.timeoutMs },
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      })
      try {
        const res = await client.request({
          method: 'GET',
          path: check.url.pathname + check.url.search,
          headers: { 'user-agent': 'omnigate', accept: '*/*' },
          signal,
        })
        const location = headerValue(res.headers.location)
        if (REDIRECTS.has(res.statusCode) && location) {
          await res.body.dump()
          if (hop >= MAX_REDIRECTS) {
            throw new AttachmentFetchError('fetch_failed', `more than ${MAX_REDIRECTS} redirects`)
          }
          current = new URL(location, check.url).href
          continue
        }
        if (res.statusCode < 200 || res.statusCode > 299) {
          await res.body.dump()
          throw new AttachmentFetchError(
            'fetch_failed',
            `${check.url.host} answered ${res.statusCode}`,
          )
        }
        const declared = Number(headerValue(res.headers['content-length']))
        if (Number.isFinite(declared) && declared > opts.maxBytes) {
          discard(res.body)
          throw tooLarge(opts.maxBytes)
        }
        return {
          data: await readCapped(res.body, opts.maxBytes),
          contentType: mediaType(headerValue(res.headers['content-type'])),
          filename: filenameOf(headerValue(res.headers['content-disposition']), check.url),
        }
      } finally {
        await client.destroy()
      }
    }
  } catch (err) {
    if (err instanceof AttachmentFetchError) throw err
    if (signal.aborted && signal.reason instanceof AttachmentFetchError) throw signal.reason
    const code = (err as { code?: unknown }).code
    const why = typeof code === 'string' ? code : 'network error'
    throw new AttachmentFetchError('fetch_failed', `the attachment could not be fetched (${why})`, {
      cause: err,
    })
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onCallerAbort)
  }
}
