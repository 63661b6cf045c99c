/**
 * Push endpoints come from browsers, i.e. from outside: a forged subscription could point the
 * daemon at the loopback interface or the private network (DESIGN §4 `security.allow_private_urls`).
 * Checked twice: literal IPs in the URL before sending, and every DNS answer at connect time (so a
 * name that resolves inside, or re-resolves there later, is refused too). The address check is the
 * same one the gateway's URL guard uses (`connectors/shared/private-address.ts`), so IPv6 forms that
 * embed a private IPv4 address (NAT64, 6to4) are refused here too.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { isIP } from 'node:net'
import { isPrivateAddress } from '../shared/private-address.js'

/** The error a refused address raises; `code` tells it apart from network failures. */
class PrivateAddressError extends Error {
  readonly code = 'ERR_PRIVATE_ADDRESS'
  constructor(host: string) {
    super(
      `${host} is a loopback/private/link-local address (allowed only with security.allow_private_urls)`,
    )
    this.name = 'PrivateAddressError'
  }
}

/** The URL's host when it is a literal private IP, else null. */
export function privateLiteralHost(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return isIP(host) !== 0 && isPrivateAddress(host) ? host : null
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/** A `dns.lookup` for socket connects that fails when any resolved address is private. */
export function guardedLookup(
  hostname: string,
  options: LookupOptions,
  callback: LookupCallback,
): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, [])
    const bad = addresses.find((a) => isPrivateAddress(a.address))
    if (bad) return callback(new PrivateAddressError(hostname), [])
    if (options.all === true) return callback(null, addresses)
    const first = addresses[0]
    if (!first)
      return callback(
        Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }),
        [],
      )
    callback(null, first.address, first.family)
  })
}
