/** Answers of the system routes: health, config reload, the OpenAPI document itself. */
import { z } from 'zod'
import { named } from './common.js'

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
