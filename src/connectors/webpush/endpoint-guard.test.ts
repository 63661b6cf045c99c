import { describe, expect, it } from 'vitest'
import { isPrivateAddress } from '../shared/private-address.js'
import { privateLiteralHost } from './endpoint-guard.js'

describe('endpoint guard', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true], // cloud metadata
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fd12:3456::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:8.8.8.8', false],
    ['142.250.74.106', false], // fcm.googleapis.com
    ['2a00:1450:4001:82b::200a', false],
    // IPv6 forms that embed a private IPv4 address (the copy this guard had let them through).
    ['64:ff9b::7f00:1', true], // NAT64 of 127.0.0.1
    ['2002:a00:1::1', true], // 6to4 of 10.0.0.1
    ['not-an-ip', true], // what the guard cannot vouch for is refused
  ])('%s private: %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected)
  })

  it('finds literal private hosts in URLs, IPv6 brackets included', () => {
    expect(privateLiteralHost(new URL('https://127.0.0.1:8443/push'))).toBe('127.0.0.1')
    expect(privateLiteralHost(new URL('https://[::1]/push'))).toBe('::1')
    expect(
      privateLiteralHost(new URL('https://updates.push.services.mozilla.com/wpush/v2/x')),
    ).toBeNull()
    expect(privateLiteralHost(new URL('https://8.8.8.8/x'))).toBeNull()
  })
})
