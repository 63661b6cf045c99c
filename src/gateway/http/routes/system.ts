/** Health, metrics, the OpenAPI document and config reload. */
import type { JsonResult, RouteInput } from '../route.js'
import type { Services } from '../../services.js'
import { apiError } from '../../errors.js'

export const healthz = (svc: Services) => (): JsonResult =>
  svc.healthy()
    ? { status: 200, body: { status: 'ok' } }
    : { status: 503, body: { status: 'starting' } }

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
