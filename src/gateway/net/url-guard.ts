/**
 * The SSRF guard for URLs that come from requests (attachment `url`, push subscription endpoints):
 * only http(s), and no host that resolves to a loopback/private/link-local address unless
 * `security.allow_private_urls` is on. URLs written in the config file are trusted and skip it.
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { isPrivateAddress } from './private-address.js'

/** Resolves a host name to every address it has (the seam tests use to play DNS). */
export type HostLookup = (host: string) => Promise<string[]>

export interface UrlCheckOptions {
  allowPrivate: boolean
  /** Default: the system resolver (`dns.lookup`, all addresses). */
  lookup?: HostLookup
  /**
   * Which addresses are refused (default `isPrivateAddress`). A seam for tests that must treat a
   * loopback server as public; production code never passes it.
   */
  isForbidden?: (address: string) => boolean
}

/** Why a URL was refused: malformed or not http(s); points inside; the host does not resolve. */
export type UrlCheckCode = 'url_invalid' | 'url_forbidden' | 'dns_failed'

export type UrlCheck =
  { ok: true; url: URL; addresses: string[] } | { ok: false; code: UrlCheckCode; reason: string }

async function systemLookup(host: string): Promise<string[]> {
  const found = await dnsLookup(host, { all: true, verbatim: true })
  return found.map((a) => a.address)
}

function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '')
  // RFC 6761: every *.localhost name is loopback, whatever a resolver claims.
  return name === 'localhost' || name.endsWith('.localhost')
}

/**
 * Parses `url` and resolves its host; refuses it when ANY address is private (a host with one
 * public and one private address could be steered to the private one). On success returns the
 * addresses, so the caller can connect to exactly those (pinning defeats DNS rebinding).
 * Reasons name the host, never the path or query (they may carry tokens).
 */
export async function checkPublicUrl(url: string, opts: UrlCheckOptions): Promise<UrlCheck> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { ok: false, code: 'url_invalid', reason: 'not a valid absolute URL' }
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, code: 'url_invalid', reason: `only http and https URLs are accepted` }
  }
  // WHATWG URL has already normalised odd IPv4 spellings (2130706433, 0x7f.1) to dotted form.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  if (host === '') return { ok: false, code: 'url_invalid', reason: 'the URL has no host' }
  const forbidden = opts.isForbidden ?? isPrivateAddress
  if (!opts.allowPrivate && isLocalhostName(host)) {
    return { ok: false, code: 'url_forbidden', reason: `${host} is a local host name` }
  }

  let addresses: string[]
  if (isIP(host) !== 0) {
    addresses = [host]
  } else {
    try {
      addresses = await (opts.lookup ?? systemLookup)(host)
    } catch {
      return { ok: false, code: 'dns_failed', reason: `${host} could not be resolved` }
    }
    if (addresses.length === 0) {
      return { ok: false, code: 'dns_failed', reason: `${host} has no address` }
    }
  }
  if (!opts.allowPrivate) {
    const inside = addresses.find((a) => forbidden(a))
    if (inside !== undefined) {
      const where = inside === host ? host : `${host} (${inside})`
      return {
        ok: false,
        code: 'url_forbidden',
        reason: `${where} is a loopback, private or link-local address`,
      }
    }
  }
  return { ok: true, url: parsed, addresses }
}
