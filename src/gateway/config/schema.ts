/**
 * The zod schema of `gateway.config.yaml` as written (after `${VAR}` substitution). Objects are
 * strict, so a misspelt key is an error, not a silently ignored setting. The JSON Schema in
 * `config/` is generated from it (json-schema.ts); `resolve.ts` turns its output into ResolvedConfig.
 */
import { z } from 'zod'
import { automationsSchema, businessHoursSchema } from './automations-schema.js'
import { channelSchema } from './channel-schema.js'
import { rulesSchema } from './rules-schema.js'
import {
  byteSize,
  credentialUrl,
  duration,
  hostPort,
  httpUrl,
  num,
  pattern,
  secret,
  strict,
  templateName,
  text,
} from './schema-parts.js'

/** Events an app webhook can subscribe to; `*` is all of them. */
export const WEBHOOK_EVENTS = [
  'message.inbound',
  'message.status',
  'message.undelivered',
  'thread.opened',
  'thread.closed',
  'thread.assigned',
  'thread.snoozed',
  'bulk.done',
  'contact.opted_out',
  'contact.opted_in',
  'contact.merged',
  'automation.skipped',
] as const

const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/

const channelName = pattern(
  CHANNEL_NAME,
  'a channel name is lowercase letters, digits, _ and -, up to 32, starting with a letter or digit',
  'A channel name, used in the API.',
)

const server = strict({
  listen: hostPort('Address the HTTP API listens on; --listen overrides.').default(
    '127.0.0.1:8080',
  ),
  public_url: httpUrl(
    'Where the outside world reaches this server (webhook registrations, links).',
  ).prefault('http://localhost:8080'),
  body_limit: byteSize('Largest request body (bytes, or 512kb, 1mb); 413 above.').prefault('1mb'),
  rate_limit: strict({
    per_second: num({ gt: 0, description: 'Requests per second per API key.' }).prefault(200),
    burst: num({ int: true, min: 1, description: 'Requests a key may make at once.' }).prefault(
      400,
    ),
  })
    .prefault({})
    .meta({ description: 'Rate limit of the API per key (token bucket); 429 above.' }),
})

const apiKey = strict({
  id: pattern(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'letters, digits, _ . and -, up to 64',
    'Who the key is: "mine" in the API means this id.',
  ),
  name: text('Display name.').optional(),
  role: z.enum(['admin', 'agent', 'app']).meta({ description: 'admin, agent or app.' }),
  key: z
    .string()
    .meta({
      description: 'The key in plaintext (usually "${VAR}"); empty: the key is not active.',
      writeOnly: true,
    })
    .optional(),
  sha256: pattern(
    /^[0-9a-fA-F]{64}$/,
    '64 hex digits (from `omnigate keys new`)',
    'sha256 of the key in hex, as `omnigate keys new` prints it.',
  ).optional(),
}).meta({
  description: 'An API key: give exactly one of key and sha256.',
  oneOf: [{ required: ['key'] }, { required: ['sha256'] }],
})

const template = strict({
  title: text('Title (push title, email subject, bold first line).').optional(),
  text: text('Body; {{first_name}}, {{first_name|there}} (default) are filled at send time.'),
  signature: text('Appended after the text.').optional(),
})

const webhookTarget = strict({
  url: httpUrl('Where events are POSTed.'),
  secret: secret('HMAC-SHA256 key signing each delivery.'),
  events: z
    .array(z.enum([...WEBHOOK_EVENTS, '*']))
    .min(1, { message: 'must list at least one event (or "*")' })
    .meta({ description: 'Events to send; "*" for all.' }),
  // DESIGN §15: a delivery that used up its tries is kept as a dead letter (replayable).
  retry: strict({
    attempts: num({
      int: true,
      min: 1,
      description: 'Tries per event before it becomes a dead letter.',
    }).prefault(30),
    backoff_max: duration('Longest wait between tries (they start at 1s and double).').default(
      '1h',
    ),
  })
    .prefault({})
    .meta({ description: 'Retry schedule of this webhook.' }),
})

/** The whole file. */
export const configSchema = strict({
  server: server.prefault({}).meta({ description: 'The HTTP API.' }),
  store: strict({
    sqlite: text(
      'The SQLite file; --data DIR moves its folder. Relative to the working directory.',
    ).default('./data/omnigate.db'),
    // DESIGN §10: several daemons on one PostgreSQL instead of the SQLite file.
    postgres: strict({
      url: credentialUrl(
        ['postgres', 'postgresql'],
        'The PostgreSQL connection URL (usually "${DATABASE_URL}"); never shown in errors.',
      ),
      pool: num({ int: true, min: 1, description: 'Most connections open at once.' }).prefault(10),
    })
      .optional()
      .meta({ description: 'Use PostgreSQL instead of store.sqlite (give one of the two).' }),
  })
    .prefault({})
    .meta({
      description: 'Where data lives: store.sqlite (the default) or store.postgres.',
      not: { required: ['sqlite', 'postgres'] },
    }),
  auth: strict({
    keys: z
      .array(apiKey)
      .default([])
      .meta({ description: 'API keys (Authorization: Bearer <key>).' }),
  })
    .prefault({})
    .meta({ description: 'Who may call the API.' }),
  security: strict({
    allow_private_urls: z.boolean().default(false).meta({
      description:
        'Let URLs from requests (attachment url, push endpoints) point at loopback/private addresses.',
    }),
    attachment_link_ttl: duration('How long signed attachment links stay valid.').default('7d'),
  })
    .prefault({})
    .meta({ description: 'Request-supplied URLs and signed links.' }),
  dispatcher: strict({
    max_attempts: num({
      int: true,
      min: 1,
      description: 'Tries per message before it fails.',
    }).prefault(8),
    backoff_base: duration('First retry delay; doubles each attempt, with jitter.').default('1s'),
    backoff_max: duration('Longest retry delay.').default('10m'),
    lease: duration('How long a worker holds a job before another may take it over.').default(
      '60s',
    ),
    batch: num({ int: true, min: 1, description: 'Jobs leased per round.' }).prefault(100),
    concurrency: num({ int: true, min: 1, description: 'Sends in flight at once.' }).prefault(64),
    send_timeout: duration('Deadline of one platform call.').default('30s'),
  })
    .prefault({})
    .meta({ description: 'The outbox worker that sends queued messages.' }),
  defaults: strict({ rules: rulesSchema.optional() })
    .prefault({})
    .meta({ description: 'Applies to every channel unless it overrides.' }),
  channels: z
    .record(channelName, channelSchema)
    .default({})
    .meta({ description: 'Channels by name (lowercase, digits, _ -).' }),
  templates: z
    .record(templateName, template)
    .default({})
    .meta({ description: 'Message templates by name.' }),
  webhooks: z
    .array(webhookTarget)
    .default([])
    .meta({ description: 'Events pushed to your apps, HMAC-signed.' }),
  business_hours: businessHoursSchema.optional(),
  automations: automationsSchema,
})

export type RawConfig = z.output<typeof configSchema>
