/**
 * Threads (DESIGN §1.4, §6): `/v1/threads` — start, list, read, close, snooze, assign, tags. The
 * use-cases (`use-cases.ts`) hold what the routes decide; the handlers (`routes.ts`) only parse and
 * shape the answer.
 */
export {
  assignThread,
  closeThread,
  createThread,
  getThread,
  listThreads,
  setTags,
  snoozeThread,
  threadMessages,
} from './routes.js'
