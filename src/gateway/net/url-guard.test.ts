import { describe, expect, it } from 'vitest'
import { isPrivateAddress } from './private-address.js'
import { checkPublicUrl, type HostLookup } from './url-guard.js'

const dns =
  (table: Record<string, string[]>): HostLookup =>
  (host) => {
    const found = table[host]
    if (!found)
      return Promise.reject(Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' }))
    return Promise.resolve(found)
  }

describe('isPrivateAddress', () => {
  const rows: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['100.127.255.255', true],
    ['100.128.0.1', false],
    ['0.0.0.0', true],
    ['224.0.0.251', true],
    ['255.255.255.255', true],
    ['8.8.8.8', false],
    ['93.184.216.34', false],
    ['::1', true],
    ['::', true],
    ['fc00::1', true],
    ['fd12:3456::1', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['ff02::1', true],
    ['2606:4700:4700::1111', false],
    ['2a00:1450:4001:80b::200e', false],
    // IPv4-mapped IPv6, dotted and hex spellings
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:10.0.0.1', true],
    ['::ffff:169.254.169.254', true],
    ['0:0:0:0:0:ffff:c0a8:0101', true],
    ['::ffff:8.8.8.8', false],
    // NAT64 and 6to4 carry an IPv4 address inside
    ['64:ff9b::7f00:1', true],
    ['64:ff9b::808:808', false],
    ['2002:c0a8:0101::1', true],
    ['2002:0808:0808::1', false],
    // IPv4-compatible (deprecated) is refused outright
    ['::8.8.8.8', true],
    // not an address: refused, the guard cannot vouch for it
    ['localhost', true],
    ['', true],
  ]
  it.each(rows)('%s → %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected)
  })
})

describe('checkPublicUrl', () => {
  const lookup = dns({
    'public.test': ['93.184.216.34'],
    'inside.test': ['10.0.0.5'],
    'mixed.test': ['93.184.216.34', '192.168.0.10'],
    'v6inside.test': ['::ffff:127.0.0.1'],
    localhost: ['93.184.216.34'], // a lying resolver must not make localhost public
  })

  it('accepts a public host and returns its addresses for pinning', async () => {
    const r = await checkPublicUrl('https://public.test/a.png?sig=x', {
      allowPrivate: false,
      lookup,
    })
    expect(r).toMatchObject({ ok: true, addresses: ['93.184.216.34'] })
    if (r.ok) expect(r.url.pathname).toBe('/a.png')
  })

  it.each([
    'http://127.0.0.1/',
    'http://[::1]:8080/',
    'http://[::ffff:127.0.0.1]/',
    'http://2130706433/', // 127.0.0.1 as one number
    'http://0x7f.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0/',
    'http://inside.test/',
    'http://mixed.test/',
    'http://v6inside.test/',
    'http://localhost/',
    'http://api.localhost./',
  ])('refuses %s', async (url) => {
    const r = await checkPublicUrl(url, { allowPrivate: false, lookup })
    expect(r).toMatchObject({ ok: false, code: 'url_forbidden' })
  })

  it('refuses localhost without an injected resolver', async () => {
    const r = await checkPublicUrl('http://localhost:1/', { allowPrivate: false })
    expect(r).toMatchObject({ ok: false, code: 'url_forbidden' })
  })

  it('lets private addresses through when allowPrivate is on', async () => {
    for (const url of ['http://127.0.0.1:9/', 'http://inside.test/', 'http://localhost/']) {
      const r = await checkPublicUrl(url, { allowPrivate: true, lookup })
      expect(r.ok, url).toBe(true)
    }
  })

  it.each(['ftp://public.test/file', 'file:///etc/passwd', 'gopher://public.test/', 'data:,hi'])(
    'refuses the non-http scheme of %s',
    async (url) => {
      const r = await checkPublicUrl(url, { allowPrivate: true, lookup })
      expect(r).toMatchObject({ ok: false, code: 'url_invalid' })
    },
  )

  it('refuses what is not a URL', async () => {
    const r = await checkPublicUrl('/relative/path', { allowPrivate: false, lookup })
    expect(r).toMatchObject({ ok: false, code: 'url_invalid' })
  })

  it('reports a host that does not resolve, without the path or query', async () => {
    const r = await checkPublicUrl('https://nowhere.test/x?token=s3cr3t', {
      allowPrivate: false,
      lookup,
    })
    expect(r).toMatchObject({ ok: false, code: 'dns_failed' })
    if (!r.ok) expect(r.reason).not.toContain('s3cr3t')
  })
})
