/**
 * The API's error catalog (DESIGN §5, §6): every error the API answers has a stable string code,
 * an HTTP status and a message a person can act on. The catalog holds factories; each throw makes a
 * fresh `ApiError`. `docs/api.md` lists every code (a test keeps the two in sync both ways).
 * A code, once shipped, is never reused for another meaning.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Decision, Refusal } from '../rules/index.js'

export interface ErrorBody {
  error: { code: string; message: string; rule?: string; details?: Record<string, unknown> }
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly rule?: string,
    /** Extra response headers (Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  toJSON(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message }
    if (this.rule !== undefined) error.rule = this.rule
    if (this.details !== undefined) error.details = this.details
    return { error }
  }
}

/** Codes and statuses of everything the API can answer besides the rule refusals. */
export const API_ERRORS = {
  invalid_json: 400,
  invalid_field: 400,
  channel_required: 400,
  unauthorized: 401,
  signature_invalid: 401,
  signature_expired: 401,
  user_hash_invalid: 401,
  webchat_token_invalid: 401,
  webchat_token_expired: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_mismatch: 409,
  identity_taken: 409,
  external_id_taken: 409,
  thread_conflict: 409,
  thread_closed: 409,
  message_already_sent: 409,
  message_not_failed: 409,
  message_not_cancellable: 409,
  body_too_large: 413,
  url_forbidden: 422,
  config_invalid: 422,
  attachment_unavailable: 422,
  too_many_recipients: 422,
  rate_limited: 429,
  internal: 500,
  channel_not_ready: 503,
  shutting_down: 503,
  store_unavailable: 503,
} as const satisfies Record<string, number>

/** Rule refusals (DESIGN §5): 422, except thread_conflict (409). */
export const RULE_ERRORS = {
  channel_unknown: 422,
  channel_disabled: 422,
  no_address: 422,
  address_invalid: 422,
  contact_blocked: 422,
  contact_unreachable: 422,
  opted_out: 422,
  contact_first: 422,
  template_required: 422,
  window_closed: 422,
  unreplied_cap: 422,
  thread_conflict: 409,
  tags_required: 422,
  tag_unknown: 422,
  empty_message: 422,
  text_too_long: 422,
  attachment_rejected: 422,
  template_unknown: 422,
  variable_missing: 422,
  sender_unknown: 422,
} as const satisfies Record<string, number>

export type ApiErrorCode = keyof typeof API_ERRORS
export type RuleErrorCode = keyof typeof RULE_ERRORS

export function apiError(
  code: ApiErrorCode,
  message: string,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
): ApiError {
  return new ApiError(API_ERRORS[code], code, message, details, undefined, headers)
}

export function ruleError(
  code: RuleErrorCode,
  message: string,
  rule: string | undefined,
  details?: Record<string, unknown>,
): ApiError {
  return new ApiError(RULE_ERRORS[code], code, message, details, rule)
}

/** The API error of a refused decision, or of a rules' refusal the gateway met on its own. */
export function refusal(d: Decision | Refusal): ApiError {
  return ruleError(d.code as RuleErrorCode, d.message, d.rule, d.details)
}

export const notFound = (what: string, id: string): ApiError =>
  apiError('not_found', `${what} ${id} does not exist`, { [what]: id })

/** Every code the API can answer, for the docs sync test and the OpenAPI document. */
export function allErrorCodes(): string[] {
  return [...new Set([...Object.keys(API_ERRORS), ...Object.keys(RULE_ERRORS)])].sort()
}
