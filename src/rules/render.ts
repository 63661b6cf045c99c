/**
 * Personalisation (DESIGN §1.5): `{{first_name}}` and `{{first_name|there}}` in any text or
 * template, filled from request variables, then contact fields, then contact attributes. A value
 * that is null or empty counts as missing, so the default applies — and a missing variable without
 * a default is an error naming it, never "Hi ,".
 */
import type { ContactFacts, TemplateDef } from './types.js'

/** The contact fields a snippet may name directly, before falling back to `attributes`. */
export type RenderContact = Pick<
  ContactFacts,
  'first_name' | 'last_name' | 'email' | 'phone' | 'external_id' | 'attributes'
>

export interface RenderContext {
  /** Request variables, highest priority first (the template's `variables`, then the request's). */
  variables: ReadonlyArray<Readonly<Record<string, string>>>
  contact: RenderContact | null
}

/** `values`: each variable the text used and what it rendered as, in order of first use. */
export type RenderResult =
  { ok: true; text: string; values: Record<string, string> } | { ok: false; variable: string }

// A name is an identifier with dotted segments (`plan.name`); anything else between braces is left
// as written, so literal `{{ }}` in a message survives.
const SNIPPET_RE = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*(?:\|([^{}]*))?\}\}/g

const CONTACT_FIELDS = ['first_name', 'last_name', 'email', 'phone', 'external_id'] as const

/** Renders the snippets of one text. */
export function renderText(text: string, ctx: RenderContext): RenderResult {
  const values = new Map<string, string>()
  // An object, not a `let`: TypeScript does not follow assignments made inside the callback.
  const found: { missing: string | null } = { missing: null }
  const out = text.replace(SNIPPET_RE, (whole, name: string, fallback: string | undefined) => {
    if (found.missing !== null) return whole
    const value = lookup(name, ctx) ?? (fallback === undefined ? null : fallback.trim())
    if (value === null) {
      found.missing = name
      return whole
    }
    if (!values.has(name)) values.set(name, value)
    return value
  })
  return found.missing === null
    ? { ok: true, text: out, values: Object.fromEntries(values) }
    : { ok: false, variable: found.missing }
}

/**
 * Renders a template: title, body and signature, each rendered, joined by a blank line where
 * present. `values` covers every variable of all three parts (what a native template sends).
 */
export function renderTemplate(def: TemplateDef, ctx: RenderContext): RenderResult {
  const parts: string[] = []
  const values = new Map<string, string>()
  for (const part of [def.title, def.text, def.signature]) {
    if (part === null || part === '') continue
    const r = renderText(part, ctx)
    if (!r.ok) return r
    if (r.text !== '') parts.push(r.text)
    for (const [k, v] of Object.entries(r.values)) if (!values.has(k)) values.set(k, v)
  }
  return { ok: true, text: parts.join('\n\n'), values: Object.fromEntries(values) }
}

function lookup(name: string, ctx: RenderContext): string | null {
  for (const vars of ctx.variables) {
    const v = Object.hasOwn(vars, name) ? vars[name] : undefined
    if (v !== undefined && v !== '') return v
  }
  const contact = ctx.contact
  if (contact === null) return null
  const field = CONTACT_FIELDS.find((f) => f === name)
  if (field !== undefined) {
    const v = contact[field]
    if (v !== null && v !== '') return v
  }
  return scalar(attribute(contact.attributes, name))
}

/** `plan.name`: a literal key first (attributes imported flat), then the nested path. */
function attribute(attrs: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(attrs, name)) return attrs[name]
  let node: unknown = attrs
  for (const key of name.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function scalar(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null
  if (typeof v === 'boolean') return String(v)
  return null
}
