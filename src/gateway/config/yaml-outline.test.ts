import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDocument } from 'yaml'
import { readOutline } from './yaml-outline.js'

const root = resolve(import.meta.dirname, '../../..')

describe('readOutline', () => {
  it('finds nothing wrong in valid files: the shipped config and every example', () => {
    const files = [
      'gateway.config.yaml',
      ...readdirSync(join(root, 'config/examples')).map((f) => `config/examples/${f}`),
    ]
    for (const f of files)
      expect({ f, problems: readOutline(readFileSync(join(root, f), 'utf8')).problems }).toEqual({
        f,
        problems: [],
      })
  })

  it('finds nothing wrong in the YAML a config may use: block scalars, multi-line flows and quotes, lists', () => {
    const text = [
      'defaults: &d',
      '  rules:',
      '    single_open_thread: true',
      'templates:',
      '  a:',
      '    text: |',
      '      Hello',
      '        indented more',
      '',
      '      after a blank line',
      '    title: >-',
      '      folded',
      '  b: { text: "multi',
      "    line quoted\", title: 'it''s' }",
      '  c:',
      '    text: plain start',
      '      continued plain',
      'senders: [a@example.com,',
      '  # a comment inside',
      '  b@example.com]',
      'keys:',
      '- id: a',
      '  role: admin',
      '- { id: b }',
      '-',
      '  id: c',
      'nested:',
      '  - - x',
      '    - y',
      '  - z',
      'merge:',
      '  <<: *d',
      '  other: 1',
      '"quoted key": 1',
      'url: http://x:80/y',
      'empty:',
      'text: it\'s a "test" # with a comment',
    ].join('\n')
    expect(parseDocument(text).errors).toEqual([])
    expect(readOutline(text).problems).toEqual([])
  })

  it('splits the file into sections at its top-level keys', () => {
    const o = readOutline(['# head', 'server:', '  listen: x', 'channels:', '  a: 1'].join('\n'))
    expect([1, 2, 3, 4, 5].map((l) => o.sectionOf(l))).toEqual([0, 2, 2, 4, 4])
  })
})
