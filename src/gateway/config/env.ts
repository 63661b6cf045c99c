/**
 * `${VAR}` and `${VAR:-default}` substitution in the string values of the parsed file (never in
 * keys); `$${` writes a literal `${`. Like the shell, `:-` also replaces an empty variable. A
 * `${VAR}` without default whose variable is unset or empty becomes '' and is reported, so the
 * loader can decide: inside `channels.<name>` the channel is disabled, elsewhere it is an error.
 */
import type { Finding } from './messages.js'
import type { PathSegment } from './source.js'

export interface MissingVar {
  name: string
  /** Set, but to the empty string. */
  empty: boolean
}

/** A string value that referred to variables that are not set. */
export interface MissingReference {
  path: PathSegment[]
  vars: MissingVar[]
  /** The value as substituted (missing variables as ''). */
  value: string
}

export interface Substitution {
  value: unknown
  missing: MissingReference[]
  /** Malformed references (`${}`, `${1X}`, an unclosed `${`). */
  findings: Finding[]
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/

/** Expands one string. @internal exported for tests */
export function expandString(
  text: string,
  env: NodeJS.ProcessEnv,
): { value: string; missing: MissingVar[]; error?: string } {
  let out = ''
  const missing: MissingVar[] = []
  let i = 0
  while (i < text.length) {
    const dollar = text.indexOf('$', i)
    if (dollar < 0) break
    out += text.slice(i, dollar)
    if (text.startsWith('$${', dollar)) {
      out += '${'
      i = dollar + 3
      continue
    }
    if (!text.startsWith('${', dollar)) {
      out += '$'
      i = dollar + 1
      continue
    }
    const close = text.indexOf('}', dollar + 2)
    if (close < 0)
      return {
        value: out,
        missing,
        error: 'has "${" without a closing "}" (write $${ for a literal ${)',
      }
    const match = REFERENCE.exec(text.slice(dollar + 2, close))
    if (match === null || match[1] === undefined) {
      const inner = text.slice(dollar, close + 1)
      return {
        value: out,
        missing,
        error: `${JSON.stringify(inner)} is not a variable reference (use \${NAME} or \${NAME:-default})`,
      }
    }
    const name = match[1]
    const fallback = match[2]
    const set = env[name]
    if (set !== undefined && set !== '') out += set
    else if (fallback !== undefined) out += fallback
    else missing.push({ name, empty: set === '' })
    i = close + 1
  }
  out += text.slice(i)
  return { value: out, missing }
}

/** Substitutes every string value of a plain data tree (the YAML file as JS). */
export function substituteEnv(tree: unknown, env: NodeJS.ProcessEnv): Substitution {
  const missing: MissingReference[] = []
  const findings: Finding[] = []
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') {
      const r = expandString(node, env)
      if (r.error !== undefined) findings.push({ path, anchor: 'value', message: r.error })
      else if (r.missing.length > 0) missing.push({ path, vars: r.missing, value: r.value })
      return r.value
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]))
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(node)) {
        // defineProperty: a `__proto__` key stays a key (an unknown-key error), not a prototype.
        Object.defineProperty(out, k, {
          value: walk(v, [...path, k]),
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
      return out
    }
    return node
  }
  return { value: walk(tree, []), missing, findings }
}

/** `environment variable X is not set`, `environment variables A, B are not set`. */
export function missingSentence(vars: readonly MissingVar[]): string {
  const names = [...new Set(vars.map((v) => v.name))]
  const allEmpty = vars.every((v) => v.empty)
  const state = allEmpty ? 'empty' : vars.some((v) => v.empty) ? 'not set (or empty)' : 'not set'
  return names.length === 1
    ? `environment variable ${names[0]} is ${state}`
    : `environment variables ${names.join(', ')} are ${state}`
}
