/**
 * Checks answers of the API against the OpenAPI document it serves: the (path, method, status)
 * must be declared, and a JSON body must match the declared schema — in its closed form, where an
 * object may hold no field the document does not name, so a field a view adds without a schema
 * fails here. Every check is recorded, for the coverage assertion of the scenario.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

type Json = Record<string, any>

/** The base URI the document's components are registered under in ajv. */
const DOC = 'https://omnigate.invalid/openapi.json'

export interface Checked {
  operationId: string
  method: string
  path: string
  status: number
}

export interface ResponseValidator {
  /** Throws when the answer is not what the document says. */
  check(
    method: string,
    url: string,
    status: number,
    contentType: string | null,
    body: unknown,
  ): void
  readonly checked: Checked[]
  /** The document checked against. */
  readonly doc: Json
  /** The ajv of the closed schemas, e.g. to check examples. */
  readonly ajv: Ajv2020
  /** Validator of `#/components/schemas/<name>` (closed form). */
  schema(name: string): ValidateFunction
}

/** Objects that name their fields take no other field (unless they say what others may be). */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed)
  if (node === null || typeof node !== 'object') return node
  const out: Json = {}
  for (const [k, v] of Object.entries(node as Json)) {
    out[k] = k === 'examples' || k === 'enum' || k === 'const' || k === 'default' ? v : closed(v)
  }
  if (out.properties && !('additionalProperties' in out)) out.additionalProperties = false
  return out
}

export function responseValidator(doc: Json): ResponseValidator {
  // Union types (`["string", "number"]`) are how zod writes a union of primitives.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true })
  addFormats(ajv)
  // The component schemas as `$defs` of one schema: `#/components/schemas/X` → `<DOC>#/$defs/X`.
  const rebase = (schema: unknown): Json =>
    JSON.parse(
      JSON.stringify(closed(schema)).replaceAll('"#/components/schemas/', `"${DOC}#/$defs/`),
    ) as Json
  ajv.addSchema({ $id: DOC, $defs: rebase(doc.components.schemas) })
  const compiled = new Map<string, ValidateFunction>()
  const validatorOf = (key: string, schema: Json): ValidateFunction => {
    let v = compiled.get(key)
    if (!v) {
      v = ajv.compile(rebase(schema))
      compiled.set(key, v)
    }
    return v
  }
  const routes = Object.entries(doc.paths as Record<string, Json>).map(([template, item]) => ({
    template,
    item,
    match: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
  }))
  const checked: Checked[] = []

  const resolve = (answer: Json): Json => {
    const ref = answer.$ref as string | undefined
    if (!ref) return answer
    const name = ref.replace('#/components/responses/', '')
    const found = (doc.components.responses as Record<string, Json>)[name]
    if (!found) throw new Error(`unresolved ${ref}`)
    return found
  }

  return {
    checked,
    doc,
    ajv,
    schema: (name) => validatorOf(`schema:${name}`, { $ref: `#/components/schemas/${name}` }),
    check(method, url, status, contentType, body) {
      const path = new URL(url, 'http://x').pathname
      const route = routes.find((r) => r.match.test(path))
      const op = route?.item[method.toLowerCase()] as Json | undefined
      if (!route || !op) throw new Error(`${method} ${path}: not in the document`)
      const declared = (op.responses as Record<string, Json>)[String(status)]
      if (!declared) {
        throw new Error(
          `${method} ${route.template} answered ${status}, which the document does not declare (${Object.keys(op.responses).join(', ')})`,
        )
      }
      checked.push({ operationId: op.operationId as string, method, path: route.template, status })
      const content = (resolve(declared).content ?? {}) as Record<string, { schema: Json }>
      const media = (contentType ?? '').split(';')[0]?.trim() ?? ''
      if (media === 'application/json') {
        const json = content['application/json']
        if (!json) throw new Error(`${method} ${route.template} ${status}: JSON is not declared`)
        const validate = validatorOf(`${route.template} ${method} ${status}`, json.schema)
        if (!validate(body)) {
          throw new Error(
            `${method} ${route.template} ${status}: the body does not match the document:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(body, null, 2).slice(0, 2000)}`,
          )
        }
        return
      }
      const declaredTypes = Object.keys(content)
      const ok = declaredTypes.some((t) => t === '*/*' || t === media)
      if (!ok) {
        throw new Error(
          `${method} ${route.template} ${status}: ${media || 'no content type'} is not declared (${declaredTypes.join(', ')})`,
        )
      }
    },
  }
}
