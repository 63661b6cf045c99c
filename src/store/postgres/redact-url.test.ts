import { describe, expect, it } from 'vitest'
import { redactUrl } from './redact-url.js'

describe('redactUrl', () => {
  it.each([
    ['postgres://app:s3cr%2Ft@db:5432/omnigate', 'postgres://app:***@db:5432/omnigate'],
    ['postgres://app@db/omnigate', 'postgres://app@db/omnigate'],
    [
      'postgresql://db/omnigate?user=app&password=s3cret&sslmode=require',
      'postgresql://db/omnigate?user=app&password=***&sslmode=require',
    ],
    ['postgres://app:s3cret@[::1:5432/x', '(a URL that does not parse)'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown)
    expect(redactUrl(url)).not.toContain('s3cr')
  })
})
