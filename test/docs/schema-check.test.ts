/**
 * The schema check the docs test applies once `/v1/openapi.json` has response schemas: an
 * OpenAPI-shaped document with a named component, as `components.schemas` will hold them.
 */
import { describe, expect, it } from 'vitest'
import { schemaErrors } from './schema-check.js'

const doc = {
  components: {
    schemas: {
      Author: {
        type: 'object',
        required: ['kind', 'id'],
        properties: { kind: { type: 'string', enum: ['agent', 'app'] }, id: { type: 'string' } },
        additionalProperties: false,
      },
      Message: {
        type: 'object',
        required: ['id', 'status', 'author'],
        properties: {
          id: { type: 'string', pattern: '^msg_[0-9a-z]{26}$' },
          status: { type: 'string', enum: ['queued', 'sent'] },
          author: { $ref: '#/components/schemas/Author' },
          attempts: { type: 'integer' },
          error: { anyOf: [{ type: 'null' }, { type: 'object' }] },
          tags: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
}
const message = { $ref: '#/components/schemas/Message' }
const ok = { id: 'msg_01j…', status: 'queued', author: { kind: 'agent', id: 'alice' }, error: null }

describe('schemaErrors', () => {
  it('accepts a conforming example, elided strings included (patterns are not checked)', () => {
    expect(schemaErrors(message, { ...ok, attempts: 1, tags: ['vip'] }, doc)).toEqual([])
  })

  it('names each problem by its path: type, enum, required, unknown field, list items', () => {
    const bad = {
      id: 'msg_01j…',
      status: 'lost',
      author: { kind: 'agent', name: 'x' },
      attempts: 1.5,
      error: 'boom',
      tags: ['a', 2],
    }
    expect(schemaErrors(message, bad, doc).map((e) => e.split(':')[0])).toEqual([
      '$.status',
      '$.author',
      '$.author',
      '$.attempts',
      '$.error',
      '$.tags[1]',
    ])
  })

  it('fails loudly on a $ref that resolves to nothing', () => {
    expect(() => schemaErrors({ $ref: '#/components/schemas/Nope' }, ok, doc)).toThrow(/Nope/)
  })
})
