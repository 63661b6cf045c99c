/**
 * Tests build a connector's settings the way the config does: through its schema (defaults
 * applied), plus the `timeout_ms` the config adds.
 */
import type { z } from 'zod'
import type { ChannelTimeout } from './settings-parts.js'

/** `schema.parse(input)` with `timeout_ms` (default 30 s, the dispatcher's send timeout). */
export function settingsFrom<S extends z.ZodType<object>>(
  schema: S,
  input: z.input<S>,
  timeoutMs = 30_000,
): z.output<S> & ChannelTimeout {
  return { ...schema.parse(input), timeout_ms: timeoutMs }
}
