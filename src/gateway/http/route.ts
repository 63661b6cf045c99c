/**
 * A route of the API as data: method, path, who may call it, the schemas of its input and the
 * handler. The routing table (`routes.ts`) is a list of these; the app, the OpenAPI document and the
 * security test are all built from that one list.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { z } from 'zod'
import type { Role } from '../config/types.js'

/**
 * - `key`: `Authorization: Bearer <key>` with one of `roles`;
 * - `channel`: no bearer key; the handler checks the channel's own secret (HMAC signature, user hash);
 * - `public`: no check at all (health, metrics, push key, signed attachment links check their `sig`).
 */
export type RouteAuth =
  { kind: 'key'; roles: readonly Role[] } | { kind: 'channel' } | { kind: 'public' }

export interface Caller {
  id: string
  role: Role
}

export interface RouteInput<B, Q> {
  c: Context
  body: B
  query: Q
  params: Record<string, string>
  /** The raw request body (for signatures and idempotency hashes). */
  raw: Buffer
  /** The authenticated key, for `key` routes; null otherwise. */
  caller: Caller | null
}

export interface JsonResult {
  status: ContentfulStatusCode
  body: unknown
  headers?: Record<string, string>
}

export interface Route<B = unknown, Q = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Hono syntax: `/v1/contacts/:id`. */
  path: string
  auth: RouteAuth
  summary: string
  body?: z.ZodType<B>
  query?: z.ZodType<Q>
  /**
   * Channel-facing routes: checks the channel's secret over the raw body BEFORE the body is parsed,
   * so an unauthenticated caller learns nothing from validation errors. Throws 401 on mismatch.
   */
  verify?(input: { c: Context; raw: Buffer; params: Record<string, string> }): void
  /** Answer statuses documented in OpenAPI besides errors (default 200). */
  success?: number
  handler(input: RouteInput<B, Q>): Promise<JsonResult | Response> | JsonResult | Response
}

/** Keeps the body/query types of each route while the table holds them side by side. */
export function route<B, Q>(r: Route<B, Q>): Route<unknown, unknown> {
  return r as unknown as Route<unknown, unknown>
}

export const anyKey = { kind: 'key', roles: ['admin', 'agent', 'app'] } as const
export const agents = { kind: 'key', roles: ['admin', 'agent'] } as const
export const adminOnly = { kind: 'key', roles: ['admin'] } as const
export const channelSecret = { kind: 'channel' } as const
export const open = { kind: 'public' } as const
