/**
 * The routing table of the v1 API (DESIGN §6), top to bottom, with who may call each route.
 * `buildApp()` mounts it; `/v1/openapi.json` and the security test are generated from it.
 */
import { authenticate } from './auth.js'
import { adminOnly, agents, anyKey, channelSecret, open, route, type Route } from './route.js'
import * as s from './schemas.js'
import * as bulk from '../bulk/index.js'
import * as channels from './routes/channels.js'
import * as contacts from './routes/contacts.js'
import * as messages from './routes/messages.js'
import * as push from './routes/push.js'
import * as system from './routes/system.js'
import * as threads from './routes/threads.js'
import type { Services } from '../services.js'
import { openapi } from './openapi.js'

export function routes(svc: Services): Route[] {
  // prettier-ignore
  const table: Route[] = [
    route({ method: 'GET', path: '/healthz', auth: open, summary: 'Liveness: 200 once the store is open and the dispatcher runs', handler: system.healthz(svc) }),
    route({ method: 'GET', path: '/readyz', auth: open, summary: 'Readiness: 200 when the store is writable and every loop ticked in 30 s, else 503 with the problems', handler: system.readyz(svc) }),
    route({ method: 'GET', path: '/metrics', auth: open, summary: 'Prometheus metrics', handler: system.metrics(svc) }),
    route({ method: 'GET', path: '/v1/openapi.json', auth: open, summary: 'This API as OpenAPI 3.1', handler: () => ({ status: 200, body: openapi(table) }) }),
    route({ method: 'POST', path: '/v1/contacts', auth: anyKey, summary: 'Create a contact', body: s.contactCreate, success: 201, handler: contacts.createContact(svc) }),
    route({ method: 'GET', path: '/v1/contacts', auth: anyKey, summary: 'Search contacts, newest activity first', query: s.contactQuery, handler: contacts.searchContacts(svc) }),
    route({ method: 'GET', path: '/v1/contacts/:id', auth: anyKey, summary: 'Read a contact', handler: contacts.getContact(svc) }),
    route({ method: 'PATCH', path: '/v1/contacts/:id', auth: anyKey, summary: 'Update a contact (incl. blocked)', body: s.contactPatch, handler: contacts.patchContact(svc) }),
    route({ method: 'GET', path: '/v1/contacts/:id/eligibility', auth: anyKey, summary: 'Per channel: may we send, and what', handler: contacts.eligibility(svc) }),
    route({ method: 'GET', path: '/v1/contacts/:id/timeline', auth: anyKey, summary: 'Messages and thread events, time-ordered', query: s.pageQuery, handler: contacts.timeline(svc) }),
    route({ method: 'POST', path: '/v1/messages', auth: anyKey, summary: 'Send a message (202 once on disk; dry_run → 200 decision)', body: s.sendBody, success: 202, handler: messages.sendMessage(svc) }),
    route({ method: 'GET', path: '/v1/messages/:id', auth: anyKey, summary: 'A message with its status history', handler: messages.getMessage(svc) }),
    route({ method: 'POST', path: '/v1/bulk', auth: anyKey, summary: 'Bulk send to a filter or ids (202 once on disk; dry_run → 200 counts)', body: s.bulkBody, success: 202, handler: bulk.createBulkRoute(svc) }),
    route({ method: 'GET', path: '/v1/bulk/:id', auth: anyKey, summary: 'A bulk: status, counts per message status, skipped by code', handler: bulk.getBulkRoute(svc) }),
    route({ method: 'POST', path: '/v1/bulk/:id/cancel', auth: anyKey, summary: 'Cancel what of a bulk is not sent yet', handler: bulk.cancelBulkRoute(svc) }),
    route({ method: 'POST', path: '/v1/threads', auth: anyKey, summary: 'Start a new thread', body: s.threadCreate, success: 201, handler: threads.createThread(svc) }),
    route({ method: 'GET', path: '/v1/threads', auth: anyKey, summary: 'List threads', query: s.threadQuery, handler: threads.listThreads(svc) }),
    route({ method: 'GET', path: '/v1/threads/:id', auth: anyKey, summary: 'A thread with its events', handler: threads.getThread(svc) }),
    route({ method: 'GET', path: '/v1/threads/:id/messages', auth: anyKey, summary: 'Messages of a thread', query: s.pageQuery, handler: threads.threadMessages(svc) }),
    route({ method: 'POST', path: '/v1/threads/:id/close', auth: agents, summary: 'Close (unassign per closing rules)', body: s.closeBody, handler: threads.closeThread(svc) }),
    route({ method: 'POST', path: '/v1/threads/:id/snooze', auth: agents, summary: 'Snooze until a time', body: s.snoozeBody, handler: threads.snoozeThread(svc) }),
    route({ method: 'POST', path: '/v1/threads/:id/assign', auth: agents, summary: 'Assign to an agent (null: unassign)', body: s.assignBody, handler: threads.assignThread(svc) }),
    route({ method: 'PUT', path: '/v1/threads/:id/tags', auth: agents, summary: 'Replace the tags', body: s.tagsBody, handler: threads.setTags(svc) }),
    route({ method: 'GET', path: '/v1/channels', auth: anyKey, summary: 'Channels with their state and rules', handler: channels.listChannels(svc) }),
    route({ method: 'GET', path: '/v1/attachments/:id', auth: open, summary: 'An attachment: bearer key, or a signed link (exp + sig)', query: s.attachmentQuery, verify: channels.attachmentAccess(svc, (c) => authenticate(svc, c, anyKey.roles)), handler: channels.getAttachment(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/inbound', auth: channelSecret, summary: 'Webhook channel: an inbound message (signed)', body: s.webhookInbound, verify: channels.webhookSignature(svc), handler: channels.webhookInboundRoute(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/status', auth: channelSecret, summary: 'Webhook channel: a status update (signed)', body: s.webhookStatus, verify: channels.webhookSignature(svc), handler: channels.webhookStatusRoute(svc) }),
    route({ method: 'GET', path: '/v1/channels/:name/push-key', auth: open, summary: 'Web Push: the VAPID public key (public, for the site script)', handler: push.pushKey(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/subscriptions', auth: channelSecret, summary: 'Web Push: register a subscription (user_hash checked)', body: s.subscriptionBody, success: 201, verify: push.subscriptionHash(svc), handler: push.subscribe(svc) }),
    route({ method: 'POST', path: '/v1/admin/reload', auth: adminOnly, summary: 'Re-read the config file (invalid: old one kept)', handler: system.reload(svc) }),
    route({ method: 'GET', path: '/hooks/:type/:name', auth: channelSecret, summary: 'Platform webhook handshake (verified by the connector)', handler: channels.platformHook(svc) }),
    route({ method: 'POST', path: '/hooks/:type/:name', auth: channelSecret, summary: 'Platform webhook (verified by the connector)', handler: channels.platformHook(svc) }),
  ]
  return table
}
