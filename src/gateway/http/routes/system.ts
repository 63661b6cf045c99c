/** Liveness, readiness, metrics, the OpenAPI document and config reload. */
import type { JsonResult, RouteInput } from '../route.js'
import type { Services } from '../../services.js'
import { apiError } from '../../errors.js'

export const healthz = (svc: Services) => (): JsonResult =>
  svc.healthy()
    ? { status: 200, body: { status: 'ok' } }
    : { status: 503, body: { status: 'starting' } }

/**
 * Readiness (DESIGN §6): 200 while nothing is wrong, else 503 naming each problem — a standing one
 * (the store unwritable, the disk full) or a loop with no good tick in 30 s. Read from the health
 * board alone: never waits on the store. `detail` stays in the log and `/metrics`: this route is
 * public.
 */
export const readyz = (svc: Services) => (): JsonResult => {
  const problems = svc.health.problems()
  if (problems.length === 0) return { status: 200, body: { status: 'ready' } }
  return {
    status: 503,
    body: {
      status: 'unready',
      problems: problems.map(({ component, code, since }) => ({ component, code, since })),
    },
  }
}

export const metrics = (svc: Services) => async (): Promise<Response> =>
  new Response(await svc.metrics.registry.metrics(), {
    status: 200,
    headers: { 'content-type': svc.metrics.registry.contentType },
  })

export const reload =
  (svc: Services) =>
  async (_: RouteInput<unknown, unknown>): Promise<JsonResult> => {
    const r = await svc.reload()
    if (r.ok) return { status: 200, body: { reloaded: true } }
    throw apiError('config_invalid', 'the config file is invalid; the running config is kept', {
      errors: r.errors.split('\n'),
    })
  }
