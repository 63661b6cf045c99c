/**
 * Checks that span keys, which a per-key schema cannot express: unique key ids, template
 * references, Telegram's webhook needs, a window with a duration. They read the substituted data
 * defensively (it may be ill-typed: the schema reports that), so they run alongside the schema
 * and every problem is reported at once.
 */
import { createHash } from 'node:crypto'
import type { ChannelType } from '../../connectors/types.js'
import { CHANNEL_SCHEMAS } from './channel-schema.js'
import { TYPE_RULES } from './defaults.js'
import { parseDuration } from './duration.js'
import type { Finding } from './messages.js'
import type { PathSegment } from './source.js'

type Obj = Record<string, unknown>

function obj(v: unknown): Obj | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null
}

function isChannelType(v: unknown): v is ChannelType {
  return typeof v === 'string' && Object.hasOwn(CHANNEL_SCHEMAS, v)
}

/** All cross-key findings of the substituted file. */
export function crossCheck(input: unknown): Finding[] {
  const root = obj(input) ?? {}
  return [
    ...checkKeys(obj(root['auth'])?.['keys']),
    ...checkChannels(root),
    ...checkBackoff(obj(root['dispatcher'])),
    ...checkStore(obj(root['store'])),
  ]
}

/** One store: `sqlite` has a default, so only both written in the file is a conflict. */
function checkStore(store: Obj | null): Finding[] {
  if (store === null || !('sqlite' in store) || !('postgres' in store)) return []
  return [
    {
      path: ['store', 'postgres'],
      anchor: 'key',
      message: 'give one of store.sqlite and store.postgres, not both',
    },
  ]
}

function checkKeys(keys: unknown): Finding[] {
  if (!Array.isArray(keys)) return []
  const findings: Finding[] = []
  const ids = new Map<string, number>()
  const digests = new Map<string, number>()
  keys.forEach((entry, i) => {
    const k = obj(entry)
    if (k === null) return
    const path = ['auth', 'keys', i]
    const hasPlain = 'key' in k
    const hasHash = 'sha256' in k
    if (hasPlain === hasHash) {
      findings.push({
        path,
        anchor: 'value',
        message: 'give exactly one of key (plaintext) and sha256',
      })
    }
    const id = str(k['id'])
    if (id !== null) {
      const first = ids.get(id)
      if (first !== undefined) {
        findings.push({
          path: [...path, 'id'],
          anchor: 'value',
          message: `duplicate key id "${id}" (also auth.keys[${first}])`,
        })
      } else ids.set(id, i)
    }
    const plain = str(k['key'])
    const hex = str(k['sha256'])
    const digest = plain ? createHash('sha256').update(plain).digest('hex') : hex?.toLowerCase()
    if (digest) {
      const first = digests.get(digest)
      // Never the key itself: only which entries collide.
      if (first !== undefined) {
        findings.push({
          path,
          anchor: 'value',
          message: `the same key as auth.keys[${first}]: every key must be different`,
        })
      } else digests.set(digest, i)
    }
  })
  return findings
}

function checkChannels(root: Obj): Finding[] {
  const findings: Finding[] = []
  const templates = obj(root['templates']) ?? {}
  const defined = Object.keys(templates)
  const publicUrl = str(obj(root['server'])?.['public_url']) ?? 'http://localhost:8080'
  const defaultRules = obj(obj(root['defaults'])?.['rules'])
  for (const [name, value] of Object.entries(obj(root['channels']) ?? {})) {
    const channel = obj(value)
    if (channel === null || !isChannelType(channel['type'])) continue
    const at = (...rest: PathSegment[]): PathSegment[] => ['channels', name, ...rest]
    if (channel['type'] === 'whatsapp-cloud') {
      for (const ours of Object.keys(obj(channel['templates']) ?? {})) {
        if (Object.hasOwn(templates, ours)) continue
        const known = defined.length > 0 ? `defined: ${defined.join(', ')}` : 'none is defined'
        findings.push({
          path: at('templates', ours),
          anchor: 'key',
          message: `template "${ours}" is not in templates: (${known})`,
        })
      }
    }
    if (channel['type'] === 'telegram' && channel['mode'] === 'webhook') {
      if (!publicUrl.startsWith('https://')) {
        findings.push({
          path: at('mode'),
          anchor: 'value',
          message: `mode webhook needs server.public_url to be https (it is "${publicUrl}")`,
        })
      }
      if (!('webhook_secret' in channel)) {
        findings.push({
          path: at('webhook_secret'),
          anchor: 'parent',
          message: 'required key "webhook_secret" is missing (mode is webhook)',
        })
      }
    }
    if (channel['type'] === 'webchat') findings.push(...checkFallback(root, name, channel))
    findings.push(...checkWindow(name, channel['type'], defaultRules, obj(channel['rules'])))
  }
  return dedupe(findings)
}

/** A web chat channel's `fallback.push` / `fallback.email` name a channel of that type (DESIGN §12). */
function checkFallback(root: Obj, name: string, channel: Obj): Finding[] {
  const fallback = obj(channel['fallback'])
  if (fallback === null) return []
  const channels = obj(root['channels']) ?? {}
  const findings: Finding[] = []
  for (const [key, type] of [
    ['push', 'webpush'],
    ['email', 'email'],
  ] as const) {
    const target = str(fallback[key])
    if (target === null) continue
    const found = obj(channels[target])
    const path = ['channels', name, 'fallback', key]
    if (found === null) {
      const known = Object.entries(channels)
        .filter(([, c]) => obj(c)?.['type'] === type)
        .map(([n]) => n)
      const hint =
        known.length > 0 ? `${type} channels: ${known.join(', ')}` : `no ${type} channel is defined`
      findings.push({
        path,
        anchor: 'value',
        message: `channel "${target}" is not in channels: (${hint})`,
      })
    } else if (found['type'] !== type) {
      findings.push({
        path,
        anchor: 'value',
        message: `channel "${target}" is ${String(found['type'])}; fallback.${key} needs a ${type} channel`,
      })
    }
  }
  return findings
}

/** A window left without a duration after merging needs one the type cannot supply. */
function checkWindow(
  name: string,
  type: ChannelType,
  defaults: Obj | null,
  own: Obj | null,
): Finding[] {
  const ownPath = ['channels', name, 'rules', 'window']
  let window: Obj | null = TYPE_RULES[type].window ? { duration: 'default' } : null
  let from: PathSegment[] = ownPath
  for (const [layer, path] of [
    [defaults, ['defaults', 'rules', 'window']],
    [own, ownPath],
  ] as const) {
    if (layer === null || !('window' in layer)) continue
    const w = layer['window']
    if (w === null || w === false) window = null
    else if (obj(w) !== null) {
      window = { ...(window ?? {}), ...obj(w) }
      from = [...path]
    }
  }
  if (window === null || window['duration'] !== undefined) return []
  return [
    {
      path: from,
      anchor: 'value',
      message: `window needs a duration: channel "${name}" is ${type}, which has no default window`,
    },
  ]
}

function checkBackoff(dispatcher: Obj | null): Finding[] {
  const base = parseDuration(str(dispatcher?.['backoff_base']) ?? '1s')
  const max = parseDuration(str(dispatcher?.['backoff_max']) ?? '10m')
  if (base === null || max === null || base <= max) return []
  return [
    {
      path: ['dispatcher', 'backoff_base'],
      anchor: 'value',
      message: 'must not be longer than dispatcher.backoff_max',
    },
  ]
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings.filter((f) => {
    const key = `${f.path.join('\u0000')}\u0001${f.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
