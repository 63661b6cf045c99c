/**
 * Channels (DESIGN §1.5, §6): the registry of running connectors (`registry.ts`, built by the
 * wiring), the channel list, the webhook channel's signed inbound and status endpoints, Web Push
 * registration, and platform webhooks handed to their connector.
 */
export { listChannels, platformHook, webhookInboundRoute, webhookStatusRoute } from './routes.js'
export { webhookSignature } from './webhook-signature.js'
export { pushKey, subscribe, subscriptionHash } from './push-routes.js'
