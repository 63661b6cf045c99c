/**
 * Web chat (DESIGN §12), the server side: the widget endpoints under
 * `/v1/channels/{name}/webchat/…` (session, stream, history, messages, seen, typing, push), their
 * Origin check and CORS, and the offline fallback (push, then an email copy).
 */
export * as webchatRoutes from './routes.js'
export { WEBCHAT_PATHS, webchatCors } from './cors.js'
export { fallbackRunner, scheduleFallbacks } from './fallback.js'
export {
  sessionBody,
  visitorMessageBody,
  seenBody,
  typingBody,
  pushBody,
  streamQuery,
  historyQuery,
  webchatSession,
  webchatHistory,
  webchatPosted,
  webchatSeen,
  webchatPushRegistered,
  webchatAccepted,
} from './schemas.js'
