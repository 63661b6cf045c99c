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
 *
 * `proofs` name what `verify` accepts, as the OpenAPI document's security schemes (documentation
 * only; none: the check is in the body, like `user_hash`, or the platform's own).
 */
export type RouteAuth =
  | { kind: 'key'; roles: readonly Role[] }
  | { kind: 'channel'; proofs?: readonly ProofScheme[] }
  | { kind: 'public'; proofs?: readonly ProofScheme[] }

/** Security schemes of the OpenAPI document a caller can prove itself with. */
export type ProofScheme = 'bearer' | 'webhookSignature' | 'signedLink'

/** A non-JSON answer (Prometheus text, an attachment's bytes, a platform's own reply). */
export interface RawResponse {
  kind: 'raw'
  mediaType: string
  description: string
}

/**
 * Every answer of a route by status: the zod schema of its JSON body (a named response schema from
 * `responses/`), or a raw body. The errors every route of its kind answers are added by the OpenAPI
 * document (see `openapi/implied-errors.ts`).
 */
export type RouteResponses = Readonly<Record<number, z.ZodType | RawResponse>>

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
  /** Stable camelCase name of the operation (`sendMessage`): generated clients are named after it. */
  operationId: string
  auth: RouteAuth
  summary: string
  body?: z.ZodType<B>
  query?: z.ZodType<Q>
  /** Request headers the handler reads (`Idempotency-Key`), for the OpenAPI document. */
  headers?: z.ZodObject
  /**
   * Channel-facing routes: checks the channel's secret over the raw body BEFORE the body is parsed,
   * so an unauthenticated caller learns nothing from validation errors. Throws 401 on mismatch.
   */
  verify?(input: { c: Context; raw: Buffer; params: Record<string, string> }): void
  /** What it answers, by status (at least one 2xx); see `RouteResponses`. */
  responses: RouteResponses
  handler(input: RouteInput<B, Q>): Promise<JsonResult | Response> | JsonResult | Response
}

/** Keeps the body/query types of each route while the table holds them side by side. */
export function route<B, Q>(r: Route<B, Q>): Route<unknown, unknown> {
  return r
}

export const anyKey = { kind: 'key', roles: ['admin', 'agent', 'app'] } as const
export const agents = { kind: 'key', roles: ['admin', 'agent'] } as const
export const adminOnly = { kind: 'key', roles: ['admin'] } as const
export const channelSecret = { kind: 'channel' } as const
/** Webhook channels: `X-Omnigate-Signature` (HMAC of the raw body with the channel secret). */
export const webhookSigned = { kind: 'channel', proofs: ['webhookSignature'] } as const
/** Attachment links: a bearer key, or the signed `exp` + `sig` of a link we sent out. */
export const keyOrSignedLink = { kind: 'public', proofs: ['bearer', 'signedLink'] } as const
/** Email one-click unsubscribe: the token in the path is signed by us (consent/unsubscribe-links.ts). */
export const signedLink = { kind: 'public', proofs: ['signedLink'] } as const
export const open = { kind: 'public' } as const
