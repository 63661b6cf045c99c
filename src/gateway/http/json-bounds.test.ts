import { describe, expect, it } from 'vitest'
import { MAX_FREE_JSON_BYTES, MAX_JSON_DEPTH, checkJsonBounds } from './json-bounds.js'

/** `levels` objects inside each other (`{a: {a: … 1}}`), built without recursion. */
function nested(levels: number): unknown {
  let v: unknown = 1
  for (let i = 0; i < levels; i++) v = { a: v }
  return v
}
/** `levels` arrays inside each other. */
function nestedArrays(levels: number): unknown {
  let v: unknown = []
  for (let i = 1; i < levels; i++) v = [v]
  return v
}

// Bodies are built in the test, not in the table: vitest formats the rows of a table.
const accepted: { name: string; body: () => unknown }[] = [
  { name: 'a flat body', body: () => ({ text: 'hi', tags: ['a', 'b'] }) },
  { name: 'null', body: () => null },
  { name: 'a number', body: () => 5 },
  { name: 'a string', body: () => 'x' },
  {
    name: 'attributes at the depth limit',
    body: () => ({ attributes: nested(MAX_JSON_DEPTH - 1) }),
  },
  { name: 'a whole body at the depth limit', body: () => nestedArrays(MAX_JSON_DEPTH) },
  {
    name: 'attributes just under the size limit',
    body: () => ({ attributes: { s: 'x'.repeat(MAX_FREE_JSON_BYTES - 20) } }),
  },
  { name: 'a big text (its own limit applies)', body: () => ({ text: 'x'.repeat(200_000) }) },
  {
    name: '100 000 ids in a flat list',
    body: () => ({ contact_ids: Array.from({ length: 100_000 }, (_, i) => `ct_${i}`) }),
  },
]

const refused: { name: string; body: () => unknown; field: string }[] = [
  {
    name: 'attributes 5 000 levels deep',
    body: () => ({ attributes: nested(5000) }),
    field: 'attributes',
  },
  {
    name: 'attributes 100 000 levels deep',
    body: () => ({ attributes: nested(100_000) }),
    field: 'attributes',
  },
  {
    name: 'attributes one level too deep',
    body: () => ({ attributes: nested(MAX_JSON_DEPTH) }),
    field: 'attributes',
  },
  {
    name: 'to.attributes too deep',
    body: () => ({ to: { channel: 'sms', attributes: nested(100) } }),
    field: 'to.attributes',
  },
  {
    name: 'variables too deep',
    body: () => ({ variables: { a: nested(100) } }),
    field: 'variables',
  },
  {
    name: 'template.variables too deep',
    body: () => ({ template: { name: 't', variables: nested(100) } }),
    field: 'template.variables',
  },
  { name: 'a top-level array 100 000 deep', body: () => nestedArrays(100_000), field: 'body' },
  {
    name: 'deep junk in a field of ours',
    body: () => ({ text: nestedArrays(5000) }),
    field: 'text',
  },
  {
    name: 'deep junk in an array item',
    body: () => ({ attachments: [{ data: nested(100) }] }),
    field: 'attachments',
  },
  {
    name: 'deep junk three keys down',
    body: () => ({ subscription: { keys: { auth: nested(100) } } }),
    field: 'subscription.keys.auth',
  },
  {
    name: 'attributes over 64 KB',
    body: () => ({ attributes: { s: 'x'.repeat(MAX_FREE_JSON_BYTES) } }),
    field: 'attributes',
  },
  // Bytes, not characters: 'é' is two bytes in UTF-8.
  {
    name: 'to.attributes over 64 KB of UTF-8',
    body: () => ({ to: { attributes: { s: 'é'.repeat(MAX_FREE_JSON_BYTES / 2) } } }),
    field: 'to.attributes',
  },
  {
    name: 'variables over 64 KB',
    body: () => ({ variables: { s: 'x'.repeat(MAX_FREE_JSON_BYTES) } }),
    field: 'variables',
  },
  {
    name: 'a free field inside another',
    body: () => ({ attributes: { variables: nested(100) } }),
    field: 'attributes',
  },
]

describe('checkJsonBounds', () => {
  it.each(accepted)('accepts $name', ({ body }) => {
    expect(checkJsonBounds(body())).toBeNull()
  })

  it.each(refused)('refuses $name, naming $field', ({ body, field }) => {
    const v = checkJsonBounds(body())
    expect(v?.field).toBe(field)
    expect(v?.message.startsWith(`${field}: `)).toBe(true)
  })
})
