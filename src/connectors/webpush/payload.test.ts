import { describe, expect, it } from 'vitest'
import type { OutboundPayload } from '../types.js'
import { buildPayload } from './payload.js'

function out(text: string | null, template: OutboundPayload['template'] = null): OutboundPayload {
  return {
    messageId: 'msg_1',
    channel: 'push',
    threadId: 'th_1',
    to: '{}',
    contact: { id: 'ct_1', firstName: null, lastName: null },
    text,
    template,
    attachments: [],
    email: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    attempt: 1,
    signal: new AbortController().signal,
  }
}

const tpl = (variables: Record<string, string> = {}): OutboundPayload['template'] => ({
  name: 't',
  variables,
})

describe('push payload', () => {
  it.each([
    [
      'plain text: the channel name titles it',
      out('Hello'),
      null,
      { title: 'push', text: 'Hello' },
    ],
    [
      'a template title is taken off the text',
      out('Refund update\n\nYour refund is sent.\n\n— Support', tpl()),
      'Refund update',
      { title: 'Refund update', text: 'Your refund is sent.\n\n— Support' },
    ],
    [
      'a title with variables: its rendered first paragraph',
      out('Order 42 shipped\n\nIt arrives Monday.', tpl({ order: '42' })),
      'Order {{order}} shipped',
      { title: 'Order 42 shipped', text: 'It arrives Monday.' },
    ],
    [
      'a template without title',
      out('Your refund is sent.', tpl()),
      null,
      { title: 'push', text: 'Your refund is sent.' },
    ],
    [
      'text that does not start with the title keeps it all',
      out('Something else\n\nbody', tpl()),
      'Refund update',
      { title: 'Refund update', text: 'Something else\n\nbody' },
    ],
    ['no text at all', out(null), null, { title: 'push', text: '' }],
  ])('%s', (_what, payload, title, expected) => {
    expect(buildPayload(payload, title, 'push')).toEqual({ ...expected, message_id: 'msg_1' })
  })

  it('passes a url variable when it is an http(s) URL, and only then', () => {
    expect(
      buildPayload(out('x', tpl({ url: 'https://shop.example/o/42' })), null, 'push').url,
    ).toBe('https://shop.example/o/42')
    expect(
      buildPayload(out('x', tpl({ url: 'javascript:alert(1)' })), null, 'push').url,
    ).toBeUndefined()
    expect(buildPayload(out('x', tpl({ url: 'not a url' })), null, 'push').url).toBeUndefined()
  })
})
