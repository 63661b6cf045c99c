/**
 * Signed, expiring links to `GET /v1/attachments/{id}` (DESIGN §6): what outbound payloads carry so
 * a platform or relay can fetch a file without an API key. The signing key is random, made once and
 * kept in the store, so links survive restarts and nobody can forge one from the config.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export interface AttachmentLinks {
  url(id: string, nowMs: number): string
  verify(id: string, exp: string | undefined, sig: string | undefined, nowMs: number): boolean
}

export async function attachmentLinks(opts: {
  kv: {
    get(scope: string, key: string): Promise<string | null>
    set(scope: string, key: string, value: string): Promise<void>
  }
  publicUrl: () => string
  ttlMs: () => number
}): Promise<AttachmentLinks> {
  let secret = await opts.kv.get('system', 'link_secret')
  if (!secret) {
    secret = randomBytes(32).toString('base64url')
    await opts.kv.set('system', 'link_secret', secret)
  }
  const key = secret
  const mac = (id: string, exp: string): Buffer =>
    createHmac('sha256', key).update(`${id}.${exp}`).digest()

  return {
    url(id, nowMs) {
      const exp = String(Math.floor((nowMs + opts.ttlMs()) / 1000))
      const sig = mac(id, exp).toString('base64url')
      const base = opts.publicUrl().replace(/\/+$/, '')
      return `${base}/v1/attachments/${encodeURIComponent(id)}?exp=${exp}&sig=${sig}`
    },
    verify(id, exp, sig, nowMs) {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return false
      if (Number(exp) * 1000 < nowMs) return false
      const given = Buffer.from(sig, 'base64url')
      const want = mac(id, exp)
      return given.length === want.length && timingSafeEqual(given, want)
    },
  }
}
