/**
 * Live updates (DESIGN §13): the event bus use-cases publish to after a commit, the builders of its
 * events, and the `GET /v1/stream` SSE route the console reads.
 */
export { InProcessBus, type LiveBus, type LiveEvent, type LiveListener } from './bus.js'
export { bulkEvent, liveEvent, recordEvents, threadEvent, type LiveEventType } from './events.js'
export { HEARTBEAT_MS, MAX_BUFFERED_EVENTS, openStream, sseFrame, streamRoute } from './stream.js'
