import { describe, expect, it } from 'vitest'
import { sendBody } from './schemas.js'
import { describeZodError } from './validation.js'

const describeBody = (body: unknown) => {
  const r = sendBody.safeParse(body)
  if (r.success) throw new Error('expected the body to be refused')
  return describeZodError(r.error, 'body')
}

describe('describeZodError', () => {
  it('names each unknown key by its full path, at the top level and nested', () => {
    const d = describeBody({ to: { channel: 'sms', adress: '+4917012345' }, txt: 'a', text: 'a' })
    expect(d.issues.slice(0, 2)).toEqual([
      { field: 'to.adress', message: 'unknown field' },
      { field: 'txt', message: 'unknown field' },
    ])
    // The misspelt key also leaves the real one missing: reported after it.
    expect(d.issues.slice(2).map((i) => i.field)).toEqual(['to.address'])
  })

  it('names unknown keys inside list items with their index', () => {
    const d = describeBody({
      contact_id: 'ct_01jabcdefghjkmnpqrstvwxyz0',
      attachments: [{ filename: 'a.txt', content_type: 'text/plain', data: 'YQ==', size: 1 }],
    })
    expect(d.field).toBe('attachments[0].size')
    expect(d.message).toMatch(/^attachments\[0\]\.size: unknown field/)
  })

  it('keeps the field of other problems and counts the rest', () => {
    const d = describeBody({ to: { channel: 'sms', address: '+4917012345' }, text: 42, tags: 'x' })
    expect(d.issues.map((i) => i.field)).toEqual(['text', 'tags'])
    expect(d.message).toMatch(/^text: .*\(and 1 more problem\(s\)\)$/)
  })
})
