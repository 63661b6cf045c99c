/**
 * Checks of `automations:` across keys, beside the schema (DESIGN §14): unique names, `after`
 * exactly with `thread.silent`, an action to take, one of send.text and send.template, templates
 * and channels that exist, an agent to assign to, and `business_hours` for what needs it. Reads
 * the substituted data defensively (the schema reports ill-typed values).
 */
import type { Finding } from './messages.js'
import type { PathSegment } from './source.js'

type Obj = Record<string, unknown>

function obj(v: unknown): Obj | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null
}

const NEXT_OPEN = /\{\{\s*next_open\s*(\||\}\})/

export function checkAutomations(root: Obj): Finding[] {
  const list = root['automations']
  if (!Array.isArray(list)) return []
  const findings: Finding[] = []
  const templates = obj(root['templates']) ?? {}
  const channels = Object.keys(obj(root['channels']) ?? {})
  const hasHours = obj(root['business_hours']) !== null
  const agents = new Set(
    (Array.isArray(obj(root['auth'])?.['keys']) ? (obj(root['auth'])?.['keys'] as unknown[]) : [])
      .map(obj)
      .filter((k): k is Obj => k !== null && k['role'] !== 'app')
      .map((k) => String(k['id'])),
  )
  const names = new Map<string, number>()
  list.forEach((entry, i) => {
    const a = obj(entry)
    if (a === null) return
    const at = (...rest: PathSegment[]): PathSegment[] => ['automations', i, ...rest]
    const add = (path: PathSegment[], message: string, anchor: Finding['anchor'] = 'value') =>
      findings.push({ path, anchor, message })
    const name = typeof a['name'] === 'string' ? a['name'] : null
    if (name !== null) {
      const first = names.get(name)
      if (first !== undefined)
        add(at('name'), `duplicate name "${name}" (also automations[${first}])`)
      else names.set(name, i)
    }
    if (a['on'] === 'thread.silent' && !('after' in a)) {
      add(
        at('after'),
        'required key "after" is missing (on: thread.silent), e.g. after: 24h',
        'parent',
      )
    }
    if ('after' in a && typeof a['on'] === 'string' && a['on'] !== 'thread.silent') {
      add(
        at('after'),
        `after applies to on: thread.silent only (this one is on: ${a['on']})`,
        'key',
      )
    }
    if (!('send' in a) && !('tag' in a) && !('assign' in a)) {
      add(at(), 'give at least one action: send, tag or assign', 'value')
    }
    const send = obj(a['send'])
    if (send !== null) {
      if ('text' in send === 'template' in send) {
        add(at('send'), 'give exactly one of text and template')
      }
      const t = send['template']
      if (typeof t === 'string' && !Object.hasOwn(templates, t)) {
        const known = Object.keys(templates)
        const defined = known.length > 0 ? `defined: ${known.join(', ')}` : 'none is defined'
        add(at('send', 'template'), `template "${t}" is not in templates: (${defined})`)
      }
      const body =
        typeof send['text'] === 'string'
          ? send['text']
          : typeof t === 'string'
            ? templateText(obj(templates[t]))
            : ''
      if (!hasHours && NEXT_OPEN.test(body)) {
        add(at('send'), '{{next_open}} needs business_hours (the top-level key) to be set')
      }
    }
    const cond = obj(a['if'])
    const only = cond?.['channel']
    if (Array.isArray(only)) {
      only.forEach((c, j) => {
        if (typeof c === 'string' && !channels.includes(c)) {
          const known =
            channels.length > 0 ? `configured: ${channels.join(', ')}` : 'none is configured'
          add(at('if', 'channel', j), `unknown channel "${c}" (${known})`)
        }
      })
    }
    if (cond !== null && 'outside_business_hours' in cond && !hasHours) {
      add(
        at('if', 'outside_business_hours'),
        'needs business_hours (the top-level key) to be set',
        'key',
      )
    }
    const agent = a['assign']
    if (typeof agent === 'string' && !agents.has(agent)) {
      add(at('assign'), `"${agent}" is not the id of an agent or admin key in auth.keys`)
    }
  })
  return findings
}

function templateText(t: Obj | null): string {
  if (t === null) return ''
  return ['title', 'text', 'signature']
    .map((k) => (typeof t[k] === 'string' ? t[k] : ''))
    .join('\n')
}
