import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { fencedBlocks, parseMarker, wrapFragment } from './markdown-blocks.js'

const DOC = `# Title

Start a channel:

<!-- config-fragment: channels -->
\`\`\`yaml
sms:
  type: webhook   # a comment
\`\`\`

1. In a list item:

   \`\`\`json
   {"a": 1}
   \`\`\`

→ \`200\` with the ids:
the answer.

<!-- example: response POST /v1/messages 202 -->
\`\`\`json
{}
\`\`\`
`

describe('fencedBlocks', () => {
  it('finds each block with its line, language, marker and leading paragraph', () => {
    const blocks = fencedBlocks('docs/x.md', DOC)
    expect(blocks.map((b) => [b.line, b.lang, b.marker])).toEqual([
      [6, 'yaml', 'config-fragment: channels'],
      [13, 'json', null],
      [21, 'json', 'example: response POST /v1/messages 202'],
    ])
    expect(blocks[1]?.text).toBe('{"a": 1}')
    expect(blocks[2]?.lead).toBe('→ `200` with the ids:\nthe answer.')
  })
})

describe('markers and fragments', () => {
  it('reads every marker kind and refuses a malformed one', () => {
    expect(parseMarker('not-config: only a comment line')).toEqual({
      kind: 'not-config',
      reason: 'only a comment line',
    })
    expect(parseMarker('example: response GET /v1/bulk/{id} 200')).toEqual({
      kind: 'response',
      method: 'GET',
      path: '/v1/bulk/{id}',
      status: 200,
    })
    expect(parseMarker('example: answer to the curl above, 422')).toEqual({
      kind: 'curl-answer',
      status: 422,
    })
    expect(parseMarker('a comment for people')).toEqual({ kind: 'none' })
    expect(() => parseMarker('example: response GET /v1/bulk')).toThrow(/malformed/)
  })

  it('wraps a fragment under its path so it loads as a whole file', () => {
    const [block] = fencedBlocks('docs/x.md', DOC)
    const text = wrapFragment(block?.text ?? '', ['channels'])
    expect(parse(text)).toEqual({ channels: { sms: { type: 'webhook' } } })
    expect(parse(wrapFragment('per_second: 5', ['defaults', 'rules', 'rate']))).toEqual({
      defaults: { rules: { rate: { per_second: 5 } } },
    })
  })
})
