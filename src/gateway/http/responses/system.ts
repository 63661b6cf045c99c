/** Answers of the system routes: health, config reload, the OpenAPI document itself. */
import { z } from 'zod'
import { named, timestamp } from './common.js'

export const health = named('Health', z.object({ status: z.enum(['ok', 'starting']) }), {
  description: '`ok` once the daemon runs; `starting` (503) before.',
})

export const reloaded = named('Reloaded', z.object({ reloaded: z.literal(true) }), {
  description: 'The config file was read again and is in force.',
})

export const openApiDocument = named(
  'OpenApiDocument',
  z.looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  }),
  { description: 'This document (OpenAPI 3.1).' },
)

export const readiness = named(
  'Readiness',
  z.object({
    status: z.enum(['ready', 'unready']),
    problems: z
      .array(z.object({ component: z.string(), code: z.string(), since: timestamp }))
      .optional()
      .meta({ description: 'What stands in the way (only when unready).' }),
  }),
  { description: '`ready`: the store is writable and every loop ticked lately; else `unready`.' },
)
