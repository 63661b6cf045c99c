/** The bulk routes' handlers (`POST /v1/bulk`, `GET /v1/bulk/{id}`, `POST /v1/bulk/{id}/cancel`). */
import { apiError } from '../errors.js'
import type { JsonResult, RouteInput } from '../http/route.js'
import type { BulkBody } from '../http/schemas.js'
import type { Services } from '../services.js'
import { cancelBulk, createBulk, getBulk } from './use-case.js'

export const createBulkRoute =
  (svc: Services) =>
  async (i: RouteInput<BulkBody, unknown>): Promise<JsonResult> => {
    if (!i.caller) throw apiError('unauthorized', 'missing API key')
    return createBulk(svc, i.body, i.caller)
  }

export const getBulkRoute =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => ({
    status: 200,
    body: await getBulk(svc, i.params.id ?? ''),
  })

export const cancelBulkRoute =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => ({
    status: 200,
    body: await cancelBulk(svc, i.params.id ?? ''),
  })
