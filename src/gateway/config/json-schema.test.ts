import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildJsonSchema, renderJsonSchema } from './json-schema.js'

const root = resolve(import.meta.dirname, '../../..')
const committed = join(root, 'config/gateway.schema.json')

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

/** The committed schema compiled as an editor would use it: every error, formats checked. */
function compile() {
  // strictSchema catches a misspelt schema keyword; the other strict checks are style lints that
  // flag valid draft 2020-12 (union types, `required` inside a oneOf branch).
  const ajv = new Ajv2020({
    allErrors: true,
    strictSchema: true,
    strictTypes: false,
    strictRequired: false,
  })
  addFormats(ajv)
  return ajv.compile(JSON.parse(readFileSync(committed, 'utf8')) as object)
}
const validate = compile()

/**
 * The errors a config text gets. ajv adds a wrapper error (`must match "then" schema`, keyword
 * `if`) at the same place as each error found inside a `then`; editors do not show it, so it is
 * left out here.
 */
function errorsOf(yaml: string): ErrorObject[] {
  validate(parse(yaml))
  return (validate.errors ?? []).filter((e) => e.keyword !== 'if')
}

const channel = (...lines: string[]) =>
  ['channels:', '  c:', ...lines.map((l) => `    ${l}`)].join('\n')

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

  it('rejects unknown keys and requires a channel type, chosen by an enum', () => {
    const schema = buildJsonSchema() as {
      additionalProperties: unknown
      properties: { channels: { additionalProperties: { required: string[]; oneOf?: unknown } } }
      $defs: Record<string, { required?: string[]; additionalProperties?: unknown }>
    }
    expect(schema.additionalProperties).toBe(false)
    const ch = schema.properties.channels.additionalProperties
    expect(ch.oneOf).toBeUndefined()
    expect(ch.required).toEqual(['type'])
    expect(ch).toMatchObject({
      properties: {
        type: {
          enum: [
            'telegram',
            'line',
            'whatsapp-cloud',
            'whatsapp',
            'email',
            'webpush',
            'webhook',
            'webchat',
          ],
        },
      },
    })
    for (const t of ['telegram', 'line', 'whatsapp-cloud', 'whatsapp', 'email', 'webpush']) {
      expect(schema.$defs[`channel-${t}`]?.required).toContain('type')
      expect(schema.$defs[`channel-${t}`]?.additionalProperties).toBe(false)
    }
  })
})

describe('one mistake in a channel is one schema error', () => {
  it('a misspelt key in a telegram channel names that key', () => {
    const errors = errorsOf(channel('type: telegram', 'token: ${TG}', 'modee: polling'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      instancePath: '/channels/c',
      keyword: 'additionalProperties',
      params: { additionalProperty: 'modee' },
    })
  })

  it('a missing required key names it', () => {
    const errors = errorsOf(channel('type: line', 'channel_secret: ${S}'))
    expect(errors).toHaveLength(1)
    expect(errors[0]?.params).toEqual({ missingProperty: 'channel_access_token' })
  })

  it('a bad value is reported at its key only, not against the other channel types', () => {
    const errors = errorsOf(channel('type: webhook', 'url: ${U}', 'secret: s', 'address: fax'))
    // The value is neither one of the enum nor a ${VAR} (checked strings accept both): ajv names
    // both alternatives and their anyOf, all at the one key.
    expect(new Set(errors.map((e) => e.instancePath))).toEqual(new Set(['/channels/c/address']))
    expect(errors.find((e) => e.keyword === 'enum')?.params).toEqual({
      allowedValues: ['phone', 'email', 'any'],
    })
  })

  it('an unknown type and a missing type', () => {
    expect(errorsOf(channel('type: sms', 'url: x'))).toMatchObject([
      { instancePath: '/channels/c/type', keyword: 'enum' },
    ])
    expect(errorsOf(channel('url: x'))).toMatchObject([
      { instancePath: '/channels/c', keyword: 'required', params: { missingProperty: 'type' } },
    ])
  })

  it('the shipped gateway.config.yaml and every example are valid', () => {
    const examples = readdirSync(join(root, 'config/examples')).filter((f) => f.endsWith('.yaml'))
    expect(examples.length).toBeGreaterThanOrEqual(7)
    for (const file of ['gateway.config.yaml', ...examples.map((f) => `config/examples/${f}`)]) {
      expect({ file, errors: errorsOf(readFileSync(join(root, file), 'utf8')) }).toEqual({
        file,
        errors: [],
      })
    }
  })
})
