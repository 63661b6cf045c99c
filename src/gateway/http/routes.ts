/**
 * The routing table of the v1 API (DESIGN §6), top to bottom, with who may call each route.
 * `buildApp()` mounts it; `/v1/openapi.json` and the security test are generated from it.
 */
import { authenticate } from './auth.js'
import {
  adminOnly,
  agents,
  anyKey,
  channelSecret,
  keyOrSignedLink,
  open,
  route,
  signedLink,
  webhookSigned,
  type Route,
} from './route.js'
import * as s from './schemas.js'
import * as attachments from '../attachments/index.js'
import * as bulk from '../bulk/index.js'
import * as channels from '../channels/index.js'
import * as consent from '../consent/index.js'
import * as contacts from '../contacts/index.js'
import * as send from '../send/index.js'
import * as schedule from '../schedule/index.js'
import * as threads from '../threads/index.js'
import * as retry from '../retry/index.js'
import * as webhooks from '../webhooks/index.js'
import * as dataRights from '../data-rights/index.js'
import * as webchat from '../webchat/index.js'
import * as live from '../live/index.js'
import * as system from './routes/system.js'
import { widgetScript } from '../widget/widget-script.js'
import type { Services } from '../services.js'
import { openapi } from './openapi/index.js'
import * as r from './responses/index.js'

export function routes(svc: Services): Route[] {
  // prettier-ignore
  const table: Route[] = [
    route({ method: 'GET', path: '/healthz', operationId: 'getHealth', auth: open, summary: 'Liveness: 200 once the store is open and the dispatcher runs', responses: { 200: r.health, 503: r.health }, handler: system.healthz(svc) }),
    route({ method: 'GET', path: '/readyz', operationId: 'getReadiness', auth: open, summary: 'Readiness: 200 when the store is writable and every loop ticked in 30 s, else 503 with the problems', responses: { 200: r.readiness, 503: r.readiness }, handler: system.readyz(svc) }),
    route({ method: 'GET', path: '/metrics', operationId: 'getMetrics', auth: open, summary: 'Prometheus metrics', responses: { 200: r.raw('text/plain', 'Prometheus text exposition (version 0.0.4)') }, handler: system.metrics(svc) }),
    route({ method: 'GET', path: '/widget.js', operationId: 'getWebchatWidget', auth: open, summary: 'Web chat: the widget script sites embed (cacheable, ETag)', responses: { 200: r.raw('application/javascript', 'The widget (DESIGN §12)'), 304: r.raw('application/javascript', 'Not modified (If-None-Match)'), 503: r.raw('application/javascript', 'Not built: run `npm run build`') }, handler: widgetScript() }),
    route({ method: 'GET', path: '/v1/openapi.json', operationId: 'getOpenApi', auth: open, summary: 'This API as OpenAPI 3.1', responses: { 200: r.openApiDocument }, handler: () => ({ status: 200, body: openapi(table, { publicUrl: svc.config().server.public_url }) }) }),
    route({ method: 'POST', path: '/v1/contacts', operationId: 'createContact', auth: anyKey, summary: 'Create a contact', body: s.contactCreate, responses: { 201: r.contact, ...r.errors(409, 422) }, handler: contacts.createContact(svc) }),
    route({ method: 'GET', path: '/v1/contacts', operationId: 'searchContacts', auth: anyKey, summary: 'Search contacts, newest activity first', query: s.contactQuery, responses: { 200: r.contactPage }, handler: contacts.searchContacts(svc) }),
    route({ method: 'GET', path: '/v1/contacts/:id', operationId: 'getContact', auth: anyKey, summary: 'Read a contact', responses: { 200: r.contact, 301: r.contactMoved }, handler: contacts.getContact(svc) }),
    route({ method: 'PATCH', path: '/v1/contacts/:id', operationId: 'updateContact', auth: anyKey, summary: 'Update a contact (incl. blocked)', body: s.contactPatch, responses: { 200: r.contact, ...r.errors(409) }, handler: contacts.patchContact(svc) }),
    route({ method: 'POST', path: '/v1/contacts/:id/merge', operationId: 'mergeContacts', auth: anyKey, summary: 'Merge contacts into this one (identities, threads, messages, consent; its fields win)', body: s.contactMerge, responses: { 200: r.contactMerged, ...r.errors(422) }, handler: contacts.mergeContact(svc) }),
    route({ method: 'DELETE', path: '/v1/contacts/:id', operationId: 'eraseContact', auth: adminOnly, summary: 'Erase a contact and everything about it (a tombstone and anonymous counts stay)', responses: { 200: r.contactErased }, handler: dataRights.eraseContactRoute(svc) }),
    route({ method: 'GET', path: '/v1/contacts/:id/export', operationId: 'exportContact', auth: adminOnly, summary: 'Everything held about a contact as JSON, attachments as signed links', responses: { 200: r.contactExport, 301: r.contactMoved }, handler: dataRights.exportContactRoute(svc) }),
    route({ method: 'GET', path: '/v1/contacts/:id/eligibility', operationId: 'getEligibility', auth: anyKey, summary: 'Per channel: may we send, and what', responses: { 200: r.eligibility, 301: r.contactMoved }, handler: contacts.eligibility(svc) }),
    route({ method: 'GET', path: '/v1/contacts/:id/consent', operationId: 'getConsent', auth: anyKey, summary: 'Consent per channel (opted in or out) and its history', responses: { 200: consent.consent, 301: r.contactMoved }, handler: consent.getConsent(svc) }),
    route({ method: 'PUT', path: '/v1/contacts/:id/consent', operationId: 'setConsent', auth: anyKey, summary: 'Opt the contact out of (or back in to) a channel; the key is the source', body: consent.consentBody, responses: { 200: consent.consent, ...r.errors(422) }, handler: consent.putConsent(svc) }),
    route({ method: 'GET', path: '/v1/contacts/:id/timeline', operationId: 'getTimeline', auth: anyKey, summary: 'Messages and thread events, time-ordered', query: s.pageQuery, responses: { 200: r.timelinePage, 301: r.contactMoved }, handler: contacts.timeline(svc) }),
    route({ method: 'POST', path: '/v1/messages', operationId: 'sendMessage', auth: anyKey, summary: 'Send a message (202 once on disk; dry_run → 200 decision)', body: s.sendBody, headers: s.sendHeaders, responses: { 202: r.messageAccepted, 200: r.decision, ...r.errors(404, 409, 422) }, handler: send.sendMessage(svc) }),
    route({ method: 'GET', path: '/v1/messages/:id', operationId: 'getMessage', auth: anyKey, summary: 'A message with its status history', responses: { 200: r.message }, handler: send.getMessage(svc) }),
    route({ method: 'POST', path: '/v1/messages/:id/retry', operationId: 'retryMessage', auth: agents, summary: 'Send a failed message again under its id (rules re-checked now)', responses: { 202: r.message, ...r.errors(404, 409, 422) }, handler: retry.retryMessageRoute(svc) }),
    route({ method: 'POST', path: '/v1/messages/:id/cancel', operationId: 'cancelMessage', auth: anyKey, summary: 'Cancel a queued or scheduled message not on the wire yet', responses: { 200: r.message, ...r.errors(404, 409) }, handler: schedule.cancelMessageRoute(svc) }),
    route({ method: 'POST', path: '/v1/bulk', operationId: 'createBulk', auth: anyKey, summary: 'Bulk send to a filter or ids (202 once on disk; dry_run → 200 counts)', body: s.bulkBody, responses: { 202: r.bulk, 200: r.bulkDryRun, ...r.errors(422) }, handler: bulk.createBulkRoute(svc) }),
    route({ method: 'GET', path: '/v1/bulk/:id', operationId: 'getBulk', auth: anyKey, summary: 'A bulk: status, counts per message status, skipped by code', responses: { 200: r.bulk }, handler: bulk.getBulkRoute(svc) }),
    route({ method: 'POST', path: '/v1/bulk/:id/cancel', operationId: 'cancelBulk', auth: anyKey, summary: 'Cancel what of a bulk is not sent yet', responses: { 200: r.bulk }, handler: bulk.cancelBulkRoute(svc) }),
    route({ method: 'POST', path: '/v1/threads', operationId: 'createThread', auth: anyKey, summary: 'Start a new thread', body: s.threadCreate, responses: { 201: r.thread, ...r.errors(404, 409, 422) }, handler: threads.createThread(svc) }),
    route({ method: 'GET', path: '/v1/threads', operationId: 'listThreads', auth: anyKey, summary: 'List threads', query: s.threadQuery, responses: { 200: r.threadPage }, handler: threads.listThreads(svc) }),
    route({ method: 'GET', path: '/v1/threads/:id', operationId: 'getThread', auth: anyKey, summary: 'A thread with its events', responses: { 200: r.threadWithEvents }, handler: threads.getThread(svc) }),
    route({ method: 'GET', path: '/v1/threads/:id/messages', operationId: 'listThreadMessages', auth: anyKey, summary: 'Messages of a thread', query: s.pageQuery, responses: { 200: r.messagePage }, handler: threads.threadMessages(svc) }),
    route({ method: 'POST', path: '/v1/threads/:id/close', operationId: 'closeThread', auth: agents, summary: 'Close (unassign per closing rules)', body: s.closeBody, responses: { 200: r.thread }, handler: threads.closeThread(svc) }),
    route({ method: 'POST', path: '/v1/threads/:id/snooze', operationId: 'snoozeThread', auth: agents, summary: 'Snooze until a time', body: s.snoozeBody, responses: { 200: r.thread, ...r.errors(409) }, handler: threads.snoozeThread(svc) }),
    route({ method: 'POST', path: '/v1/threads/:id/assign', operationId: 'assignThread', auth: agents, summary: 'Assign to an agent (null: unassign)', body: s.assignBody, responses: { 200: r.thread }, handler: threads.assignThread(svc) }),
    route({ method: 'PUT', path: '/v1/threads/:id/tags', operationId: 'setThreadTags', auth: agents, summary: 'Replace the tags', body: s.tagsBody, responses: { 200: r.thread, ...r.errors(422) }, handler: threads.setTags(svc) }),
    route({ method: 'GET', path: '/v1/stream', operationId: 'streamEvents', auth: agents, summary: 'Live events as Server-Sent Events: inbound messages, statuses, thread changes, bulk progress', responses: { 200: r.raw('text/event-stream', 'One SSE event per live event: `event: <type>`, `data: {id, type, created_at, data}`; comment lines as heartbeats') }, handler: live.streamRoute(svc) }),
    route({ method: 'GET', path: '/v1/channels', operationId: 'listChannels', auth: anyKey, summary: 'Channels with their state and rules', responses: { 200: r.channelList }, handler: channels.listChannels(svc) }),
    route({ method: 'GET', path: '/v1/attachments/:id', operationId: 'getAttachment', auth: keyOrSignedLink, summary: 'An attachment: bearer key, or a signed link (exp + sig)', query: s.attachmentQuery, verify: attachments.attachmentAccess(svc, (c) => authenticate(svc, c, anyKey.roles)), responses: { 200: r.raw('*/*', 'The file, with its own Content-Type and Content-Disposition') }, handler: attachments.getAttachment(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/inbound', operationId: 'receiveWebhookInbound', auth: webhookSigned, summary: 'Webhook channel: an inbound message (signed)', body: s.webhookInbound, verify: channels.webhookSignature(svc), responses: { 200: r.inboundAccepted, ...r.errors(422) }, handler: channels.webhookInboundRoute(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/status', operationId: 'receiveWebhookStatus', auth: webhookSigned, summary: 'Webhook channel: a status update (signed)', body: s.webhookStatus, verify: channels.webhookSignature(svc), responses: { 200: r.statusAccepted, ...r.errors(422) }, handler: channels.webhookStatusRoute(svc) }),
    route({ method: 'GET', path: '/v1/channels/:name/push-key', operationId: 'getPushKey', auth: open, summary: 'Web Push: the VAPID public key (public, for the site script)', responses: { 200: r.pushKey, ...r.errors(422) }, handler: channels.pushKey(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/subscriptions', operationId: 'createPushSubscription', auth: channelSecret, summary: 'Web Push: register a subscription (user_hash checked)', body: s.subscriptionBody, verify: channels.subscriptionHash(svc), responses: { 201: r.subscribed, 200: r.subscribed, ...r.errors(422) }, handler: channels.subscribe(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/webchat/session', operationId: 'openWebchatSession', auth: channelSecret, summary: 'Web chat: open a visitor session (user_hash checked) → a short-lived token', body: webchat.sessionBody, verify: webchat.webchatRoutes.sessionHash(svc), responses: { 200: webchat.webchatSession, ...r.errors(403, 422, 429) }, handler: webchat.webchatRoutes.session(svc) }),
    route({ method: 'GET', path: '/v1/channels/:name/webchat/stream', operationId: 'streamWebchat', auth: channelSecret, summary: 'Web chat: the visitor’s live conversation (SSE: message, status, typing; Last-Event-ID resumes)', query: webchat.streamQuery, verify: webchat.webchatRoutes.tokenCheck(svc), responses: { 200: r.raw('text/event-stream', 'SSE: `id:` (the cursor), `event: message|status|typing`, `data:` JSON; comment lines as heartbeats'), ...r.errors(403, 429) }, handler: webchat.webchatRoutes.stream(svc) }),
    route({ method: 'GET', path: '/v1/channels/:name/webchat/messages', operationId: 'listWebchatMessages', auth: channelSecret, summary: 'Web chat: the visitor’s history, newest page first (`before` pages back)', query: webchat.historyQuery, verify: webchat.webchatRoutes.tokenCheck(svc), responses: { 200: webchat.webchatHistory, ...r.errors(403, 429) }, handler: webchat.webchatRoutes.messages(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/webchat/messages', operationId: 'postWebchatMessage', auth: channelSecret, summary: 'Web chat: the visitor writes (client_id dedupes retries)', body: webchat.visitorMessageBody, verify: webchat.webchatRoutes.tokenCheck(svc), responses: { 200: webchat.webchatPosted, ...r.errors(403, 413, 422, 429) }, handler: webchat.webchatRoutes.post(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/webchat/seen', operationId: 'markWebchatSeen', auth: channelSecret, summary: 'Web chat: outbound messages up to `up_to` are read', body: webchat.seenBody, verify: webchat.webchatRoutes.tokenCheck(svc), responses: { 200: webchat.webchatSeen, ...r.errors(403, 429) }, handler: webchat.webchatRoutes.seen(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/webchat/typing', operationId: 'webchatVisitorTyping', auth: channelSecret, summary: 'Web chat: the visitor is typing (a live event for consoles)', body: webchat.typingBody, verify: webchat.webchatRoutes.tokenCheck(svc), responses: { 200: webchat.webchatAccepted, ...r.errors(403, 429) }, handler: webchat.webchatRoutes.typing(svc) }),
    route({ method: 'POST', path: '/v1/channels/:name/webchat/push', operationId: 'registerWebchatPush', auth: channelSecret, summary: 'Web chat: register a push subscription on the fallback.push channel for this visitor', body: webchat.pushBody, verify: webchat.webchatRoutes.tokenCheck(svc), responses: { 200: webchat.webchatPushRegistered, ...r.errors(403, 422, 429) }, handler: webchat.webchatRoutes.push(svc) }),
    // GET /widget.js (the widget bundle, DESIGN §12) is added here by the widget's branch.
    route({ method: 'GET', path: '/unsubscribe/:token', operationId: 'unsubscribePage', auth: signedLink, summary: 'Email one-click unsubscribe: the page with its button (signed link)', responses: { 200: r.raw('text/html', 'The page'), 400: r.raw('text/html', 'Not a link we signed'), 404: r.raw('text/html', 'The contact no longer exists') }, handler: consent.unsubscribeForm(svc) }),
    route({ method: 'POST', path: '/unsubscribe/:token', operationId: 'unsubscribeOneClick', auth: signedLink, summary: 'Email one-click unsubscribe (RFC 8058): opts the contact out of that email channel', responses: { 200: r.raw('text/html', 'Done'), 400: r.raw('text/html', 'Not a link we signed'), 404: r.raw('text/html', 'The contact no longer exists') }, handler: consent.unsubscribePost(svc) }),
    route({ method: 'POST', path: '/v1/admin/reload', operationId: 'reloadConfig', auth: adminOnly, summary: 'Re-read the config file (invalid: old one kept)', responses: { 200: r.reloaded, ...r.errors(422) }, handler: system.reload(svc) }),
    route({ method: 'GET', path: '/v1/webhooks/deliveries', operationId: 'listWebhookDeliveries', auth: adminOnly, summary: 'App-webhook deliveries that used up their retries (dead letters), newest first', query: s.deliveryQuery, responses: { 200: r.deliveryPage }, handler: webhooks.listDeliveries(svc) }),
    route({ method: 'POST', path: '/v1/webhooks/deliveries/:id/replay', operationId: 'replayWebhookDelivery', auth: adminOnly, summary: 'Queue a dead letter again: the same event id, a fresh delivery', responses: { 202: r.deliveryReplayed }, handler: webhooks.replayDelivery(svc) }),
    route({ method: 'GET', path: '/hooks/:type/:name', operationId: 'verifyPlatformHook', auth: channelSecret, summary: 'Platform webhook handshake (verified by the connector)', responses: r.platformReplies, handler: channels.platformHook(svc) }),
    route({ method: 'POST', path: '/hooks/:type/:name', operationId: 'receivePlatformHook', auth: channelSecret, summary: 'Platform webhook (verified by the connector)', responses: r.platformReplies, handler: channels.platformHook(svc) }),
  ]
  return table
}
