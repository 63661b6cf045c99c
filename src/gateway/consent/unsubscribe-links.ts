/**
 * Signed one-click unsubscribe URLs (DESIGN §15, RFC 8058): `<public_url>/unsubscribe/<contact
 * id>.<channel>.<sig>`, where `sig` is HMAC-SHA256 over both with a random key made once and kept
 * in the store (like attachment links, and apart from their key), so links survive restarts, no
 * secret is in the URL, and nobody can forge one for another contact or channel. They do not
 * expire: a mail read a year later must still unsubscribe.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export interface UnsubscribeLinks {
  /** The link for this contact and channel; null when `public_url` is a local address. */
  url(contactId: string, channel: string): string | null
  /** Who a token of ours names; null for anything we did not sign. */
  verify(token: string): { contactId: string; channel: string } | null
}

/** Contact ids (`ct_` + ULID) and channel names have no dot: the token's parts never mix. */
const TOKEN = /^(ct_[0-9a-z]{1,40})\.([a-z0-9][a-z0-9_-]{0,31})\.([A-Za-z0-9_-]{43})$/

export async function unsubscribeLinks(opts: {
  kv: {
    get(scope: string, key: string): Promise<string | null>
    set(scope: string, key: string, value: string): Promise<void>
  }
  publicUrl: () => string
}): Promise<UnsubscribeLinks> {
  let secret = await opts.kv.get('system', 'unsubscribe_secret')
  if (!secret) {
    secret = randomBytes(32).toString('base64url')
    await opts.kv.set('system', 'unsubscribe_secret', secret)
  }
  const key = secret
  const mac = (contactId: string, channel: string): Buffer =>
    createHmac('sha256', key).update(`unsubscribe.${contactId}.${channel}`).digest()

  return {
    url(contactId, channel) {
      const base = opts.publicUrl().replace(/\/+$/, '')
      if (isLocalUrl(base)) return null
      const sig = mac(contactId, channel).toString('base64url')
      return `${base}/unsubscribe/${contactId}.${channel}.${sig}`
    },
    verify(token) {
      const m = TOKEN.exec(token)
      if (!m) return null
      const [, contactId = '', channel = '', sig = ''] = m
      // Compared as the text we sign: base64url's last character carries spare bits, so several
      // spellings decode to the same bytes, and only the one we wrote is the link.
      const given = Buffer.from(sig)
      const want = Buffer.from(mac(contactId, channel).toString('base64url'))
      if (given.length !== want.length || !timingSafeEqual(given, want)) return null
      return { contactId, channel }
    },
  }
}

/**
 * A URL only this machine can open (the default `http://localhost:8080`): a mail recipient's
 * client could never reach a link on it, so email goes without the header (and the daemon warns).
 */
export function isLocalUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname
    return host === 'localhost' || host === '[::1]' || host === '0.0.0.0' || host.startsWith('127.')
  } catch {
    return true
  }
}
