/**
 * Live updates (DESIGN §13): the event bus use-cases publish to after a commit, the builders of its
 * events, and the `GET /v1/stream` SSE route the console reads.
 */
export { InProcessBus } from './bus.js'
export { SharedBus } from './shared-bus.js'
export { bulkEvent, liveEvent, recordEvents, threadEvent } from './events.js'
export { streamRoute } from './stream.js'
