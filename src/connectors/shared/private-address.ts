/**
 * Which IP addresses a URL from a request may not reach (SSRF guard, DESIGN §9): loopback,
 * private, link-local, CGNAT, unspecified, multicast and reserved ranges, and the IPv6 forms that
 * embed such an IPv4 address (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`).
 */
import { BlockList, isIP } from 'node:net'

const V4_BLOCKED: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network", incl. the unspecified 0.0.0.0 (Linux connects it to loopback)
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT: the provider's internal network
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. cloud metadata at 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking networks
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast 255.255.255.255
]

const V6_BLOCKED: Array<[string, number]> = [
  ['::', 96], // unspecified ::, loopback ::1 and the deprecated IPv4-compatible ::a.b.c.d
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (private)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
]

const blocked = new BlockList()
for (const [net, prefix] of V4_BLOCKED) blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of V6_BLOCKED) blocked.addSubnet(net, prefix, 'ipv6')

/** The eight 16-bit groups of a valid IPv6 address (a `%zone` suffix ignored). */
function hextets(ip: string): number[] {
  let s = ip.split('%')[0] ?? ''
  const lastColon = s.lastIndexOf(':')
  const tail = s.slice(lastColon + 1)
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number)
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', rest] = s.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = rest === undefined || rest === '' ? [] : rest.split(':')
  const fill = rest === undefined ? 0 : 8 - left.length - right.length
  return [...left, ...Array<string>(fill).fill('0'), ...right].map((h) => parseInt(h, 16))
}

function v4From(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
}

/** The IPv4 address an IPv6 address stands for, if it is one of the embedding forms. */
function embeddedV4(h: number[]): string | null {
  const [h0, h1, h2, h3, h4, h5, h6 = 0, h7 = 0] = h
  if (h0 === 0 && h1 === 0 && h2 === 0 && h3 === 0 && h4 === 0 && h5 === 0xffff) {
    return v4From(h6, h7) // IPv4-mapped ::ffff:a.b.c.d
  }
  if (h0 === 0x64 && h1 === 0xff9b && h2 === 0 && h3 === 0 && h4 === 0 && h5 === 0) {
    return v4From(h6, h7) // NAT64 well-known prefix
  }
  if (h0 === 0x2002) return v4From(h1 ?? 0, h2 ?? 0) // 6to4
  return null
}

/**
 * True when `ip` is not a public unicast address, so a URL from a request must not reach it.
 * Anything that is not an IP address at all also answers true: the guard refuses what it cannot
 * vouch for.
 */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.split('%')[0] ?? ''
  const version = isIP(bare)
  if (version === 4) return blocked.check(bare, 'ipv4')
  if (version !== 6) return true
  const v4 = embeddedV4(hextets(bare))
  if (v4 !== null) return blocked.check(v4, 'ipv4')
  return blocked.check(bare, 'ipv6')
}
