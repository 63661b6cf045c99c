import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildJsonSchema, renderJsonSchema } from './json-schema.js'

const committed = resolve(import.meta.dirname, '../../../config/gateway.schema.json')

describe('config/gateway.schema.json', () => {
  it('is what the zod schema generates now (run `npm run build` to refresh it)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(renderJsonSchema())
  })

  it('lets editors write ${VAR} where a format is checked, and numbers as strings', () => {
    const schema = buildJsonSchema() as {
      properties: { server: { properties: Record<string, { anyOf?: unknown[]; type?: unknown }> } }
    }
    const server = schema.properties.server.properties
    expect(server['public_url']?.anyOf).toContainEqual({ $ref: '#/$defs/envReference' })
    expect(server['listen']?.anyOf).toContainEqual({ $ref: '#/$defs/envReference' })
    expect(server['body_limit']?.type).toEqual(['integer', 'string'])
  })

  it('rejects unknown keys and requires a channel type', () => {
    const text = renderJsonSchema()
    expect(JSON.parse(text)).toMatchObject({ additionalProperties: false })
    const channel = (
      JSON.parse(text) as {
        properties: { channels: { additionalProperties: { oneOf: { required: string[] }[] } } }
      }
    ).properties.channels.additionalProperties.oneOf
    expect(channel).toHaveLength(7)
    for (const option of channel) expect(option.required).toContain('type')
  })
})
