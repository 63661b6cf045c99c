/**
 * Push endpoints come from browsers, i.e. from outside: a forged subscription could point the
 * daemon at the loopback interface or the private network (DESIGN §4 `security.allow_private_urls`).
 * Checked twice: literal IPs in the URL before sending, and every DNS answer at connect time (so a
 * name that resolves inside, or re-resolves there later, is refused too).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { BlockList, isIP } from 'node:net'

const blocked = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6')
}

/**
 * True for loopback, private, link-local, multicast and reserved addresses (IPv4-mapped IPv6 too).
 * @internal exported for tests
 */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped?.[1] !== undefined) return blocked.check(mapped[1], 'ipv4')
  const family = isIP(ip)
  if (family === 4) return blocked.check(ip, 'ipv4')
  if (family === 6) return blocked.check(ip, 'ipv6')
  return false
}

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
