import { describe, expect, it } from 'vitest'
import { fromNetworkError, fromStatus } from './send-error.js'

describe('push service answers', () => {
  it.each([
    [404, 'unreachable', 'subscription_gone'],
    [410, 'unreachable', 'subscription_gone'],
    [429, 'retry', 'push_rate_limited'],
    [500, 'retry', 'push_unavailable'],
    [502, 'retry', 'push_unavailable'],
    [400, 'rejected', 'push_rejected'],
    [401, 'rejected', 'vapid_rejected'],
    [403, 'rejected', 'vapid_rejected'],
    [413, 'rejected', 'text_too_long'],
    [422, 'rejected', 'push_rejected'],
  ])('%i → %s %s', (status, kind, code) => {
    expect(fromStatus(status, undefined, '')).toMatchObject({ kind, code })
  })

  it('tells a request that never left from one whose answer was lost', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), {
      name: 'TimeoutError',
      code: 23,
    })
    expect(fromNetworkError(refused)).toMatchObject({ kind: 'retry', possiblyDelivered: false })
    expect(fromNetworkError(new Error('fetch failed', { cause: refused }))).toMatchObject({
      possiblyDelivered: false,
    })
    expect(fromNetworkError(reset)).toMatchObject({ kind: 'retry', possiblyDelivered: true })
    expect(fromNetworkError(timeout)).toMatchObject({ kind: 'retry', possiblyDelivered: true })
  })
})
