/**
 * The one error body of the API (DESIGN §5, §6) and which codes each status carries, both read
 * from the error catalog, so a code added there is documented without anyone listing it here.
 */
import { z } from 'zod'
import { API_ERRORS, RULE_ERRORS, allErrorCodes } from '../../errors.js'
import { named } from './common.js'

const errorCode = named('ErrorCode', z.enum(allErrorCodes()), {
  description: 'A stable error code from the catalog (docs/api.md, "Error codes").',
})

export const errorBody = named(
  'Error',
  z.object({
    error: z.object({
      code: errorCode,
      message: z.string().meta({ description: 'For people: what went wrong and what to do.' }),
      rule: z.string().optional().meta({ description: 'The config path that decided a refusal.' }),
      details: z
        .record(z.string(), z.unknown())
        .optional()
        .meta({ description: '`field` names the offending field of a 400; more per code.' }),
    }),
  }),
  {
    description: 'An error: a stable `code` to branch on and a message for people.',
    examples: [
      {
        error: {
          code: 'contact_first',
          message: 'the person has to write to us first on channel wa',
          rule: 'channels.wa.rules.contact_first',
        },
      },
      {
        error: {
          code: 'invalid_field',
          message: 'text: expected string, received number',
          details: { field: 'text', issues: [{ field: 'text', message: 'expected string' }] },
        },
      },
    ],
  },
)

/** The catalog's codes answered with `status`, sorted. */
export function errorCodesOf(status: number): string[] {
  const all: Record<string, number> = { ...API_ERRORS, ...RULE_ERRORS }
  return allErrorCodes().filter((code) => all[code] === status)
}
