/**
 * Validation of the substituted file: the zod schema plus the cross-key checks, every finding at
 * once. A channel whose `${VAR}`s are missing is validated like any other, except that the
 * findings about those values are dropped: it will be disabled, and its other keys still count.
 */
import {
  disabledChannelSchema,
  type DisabledRawChannel,
  type RawChannel,
} from './channel-schema.js'
import { crossCheck } from './cross-checks.js'
import {
  missingSentence,
  type MissingReference,
  type MissingVar,
  type Substitution,
} from './env.js'
import { describeIssue, type Finding } from './messages.js'
import { configSchema, type RawConfig } from './schema.js'
import type { PathSegment } from './source.js'

/** A channel as parsed: in full, or (disabled by a missing `${VAR}`) without the keys holding one. */
export type ParsedChannel =
  { enabled: true; block: RawChannel } | { enabled: false; block: DisabledRawChannel }

export interface Validated {
  /** The file as parsed; `channels` in the file's order. */
  raw: Omit<RawConfig, 'channels'> & { channels: Record<string, ParsedChannel> }
  /** Channels left disabled by missing variables, with those variables. */
  disabled: Map<string, MissingVar[]>
  /** `auth.keys` entries whose plaintext key came out empty, with the variables it named. */
  emptyKeys: Map<number, MissingVar[]>
}

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.every((seg, i) => String(path[i]) === String(seg))
}

/** Where each missing variable leads: a disabled channel, an inactive key, or an error. */
function classify(missing: MissingReference[]) {
  const disabled = new Map<string, MissingVar[]>()
  const emptyKeys = new Map<number, MissingVar[]>()
  const placeholders: PathSegment[][] = []
  const findings: Finding[] = []
  for (const ref of missing) {
    const [top, name, key] = ref.path
    // The variable's own finding (or the disabled channel) speaks for the value: the schema's
    // complaints about the empty stand-in are dropped.
    placeholders.push(ref.path)
    if (top === 'channels' && typeof name === 'string' && key !== undefined) {
      if (key === 'type') {
        findings.push({
          path: ref.path,
          anchor: 'value',
          message: `the channel type cannot come from a variable: ${missingSentence(ref.vars)}`,
        })
      } else disabled.set(name, [...(disabled.get(name) ?? []), ...ref.vars])
    } else if (
      top === 'auth' &&
      ref.path.length === 4 &&
      ref.path[3] === 'key' &&
      ref.value === ''
    ) {
      emptyKeys.set(Number(ref.path[2]), ref.vars)
    } else {
      findings.push({ path: ref.path, anchor: 'value', message: missingSentence(ref.vars) })
    }
  }
  return { disabled, emptyKeys, placeholders, findings }
}

/** Validates the substituted file; returns the parsed file or every finding. */
export function validate(
  substituted: Substitution,
): { ok: true; value: Validated } | { ok: false; findings: Finding[] } {
  const input = substituted.value
  const { disabled, emptyKeys, placeholders, findings } = classify(substituted.missing)
  // A malformed `${…}` is reported as such; the schema need not complain about its value too.
  findings.push(...substituted.findings)
  placeholders.push(...substituted.findings.map((f) => f.path))
  // An empty per-parse message marks zod's generic wording, which messages.ts rephrases.
  const parsed = configSchema.safeParse(input, { reportInput: true, error: () => '' })
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const f of describeIssue(issue)) {
        if (!placeholders.some((p) => startsWith(f.path, p))) findings.push(f)
      }
    }
  }
  findings.push(...crossCheck(input))
  if (findings.length > 0) return { ok: false, findings }
  if (parsed.success) {
    const channels = Object.fromEntries(
      Object.entries(parsed.data.channels).map(([name, block]) => [
        name,
        { enabled: true, block } satisfies ParsedChannel,
      ]),
    )
    return { ok: true, value: { raw: { ...parsed.data, channels }, disabled, emptyKeys } }
  }
  return {
    ok: true,
    value: { raw: withDisabledChannels(input as Obj, disabled, placeholders), disabled, emptyKeys },
  }
}

/**
 * Only values of disabled channels failed: parse the file without them, then each of them with
 * the keys holding a missing variable left out (a disabled channel's settings lack those keys).
 */
function withDisabledChannels(
  input: Obj,
  disabled: Map<string, MissingVar[]>,
  placeholders: PathSegment[][],
): Validated['raw'] {
  const channels = isObj(input['channels']) ? input['channels'] : {}
  const enabledOnly = Object.fromEntries(
    Object.entries(channels).filter(([name]) => !disabled.has(name)),
  )
  const raw = configSchema.parse({ ...input, channels: enabledOnly })
  const all: Record<string, ParsedChannel> = {}
  for (const [name, block] of Object.entries(channels)) {
    const parsedEnabled = raw.channels[name]
    if (parsedEnabled !== undefined) {
      all[name] = { enabled: true, block: parsedEnabled }
      continue
    }
    const settings = isObj(block) ? { ...block } : {}
    for (const p of placeholders) {
      if (p[0] === 'channels' && p[1] === name && p[2] !== undefined) delete settings[String(p[2])]
    }
    all[name] = { enabled: false, block: disabledChannelSchema.parse(settings) }
  }
  return { ...raw, channels: all }
}
