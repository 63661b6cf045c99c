/**
 * Core programs: the store's decisions written once as generators that yield port operations as
 * data (`yield* tx.loadThread(id)` reads like `await port.loadThread(id)`). A dialect runs a
 * program inside the transaction it opened: `runSync` on a synchronous driver (SQLite: the whole
 * transaction is one synchronous block, so no other request's code can run inside it, and the hot
 * paths pay no promise per row), `runAsync` on an asynchronous one (PostgreSQL: each operation is
 * awaited on the transaction's client). An operation's throw is thrown into the program at its
 * `yield*`, so `try`/`catch` in a program works as it would with `await`.
 */
import type { AsyncTxPort, TxOp, TxPort } from './port.js'

/** A core program that finishes with a T. */
export type Program<T> = Generator<TxOp, T, unknown>

/** The port's operations as program steps: `const row = yield* tx.loadThread(id)`. */
export type TxSteps = {
  [K in keyof TxPort]: (...args: Parameters<TxPort[K]>) => Program<ReturnType<TxPort[K]>>
}

/** Every operation of the port, listed once (the type checks that none is missing or extra). */
const OPS = {
  lockContact: 1,
  lastAutomationFiring: 1,
  insertAutomationFiring: 1,
  skipAutomationFiring: 1,
  bumpContactVersion: 1,
  getContact: 1,
  insertContact: 1,
  updateContact: 1,
  touchContact: 1,
  eraseContactRows: 1,
  mergeContactRows: 1,
  reindexContact: 1,
  mergedIds: 1,
  findIdentity: 1,
  insertIdentity: 1,
  markInbound: 1,
  setReachable: 1,
  loadThread: 1,
  activeThreads: 1,
  dueSnoozed: 1,
  replyThreadId: 1,
  insertThread: 1,
  saveThread: 1,
  touchThread: 1,
  threadTags: 1,
  addThreadTags: 1,
  removeThreadTags: 1,
  insertThreadEvent: 1,
  findInbound: 1,
  insertMessage: 1,
  insertAttachments: 1,
  messageStatus: 1,
  getMessage: 1,
  setMessageStatus: 1,
  flagUndelivered: 1,
  requeueMessage: 1,
  insertOutbox: 1,
  completeJob: 1,
  completeJobs: 1,
  failJob: 1,
  retryJob: 1,
  cancelLeasedJob: 1,
  releaseJob: 1,
  cancelQueuedJob: 1,
  cancelMessage: 1,
  openAccept: 1,
  openAccepts: 1,
  getIdempotency: 1,
  putIdempotency: 1,
  enqueueEvents: 1,
  consentStatus: 1,
  saveConsent: 1,
  latestThreadId: 1,
  newestThreadId: 1,
  getBulk: 1,
  lockBulk: 1,
  insertBulk: 1,
  insertRecipientPage: 1,
  recipientPage: 1,
  deleteRecipientPages: 1,
  bulkHasMessageFor: 1,
  saveBulkProgress: 1,
  bulkCounts: 1,
  bulkHasPending: 1,
  finishBulk: 1,
  cancelBulk: 1,
  failBulk: 1,
  cancellableJobs: 1,
  savepoint: 1,
  releaseSavepoint: 1,
  rollbackSavepoint: 1,
} satisfies Record<keyof TxPort, 1>

function step(op: keyof TxPort) {
  return function* (...args: unknown[]): Program<unknown> {
    return yield { op, args } as TxOp
  }
}

export const tx = Object.fromEntries(
  Object.keys(OPS).map((op) => [op, step(op as keyof TxPort)]),
) as unknown as TxSteps

type AnyOp = (...args: unknown[]) => unknown

/** Runs a program to its end on a synchronous port, in one synchronous block. */
export function runSync<T>(port: TxPort, program: Program<T>): T {
  let r = program.next()
  while (!r.done) {
    const { op, args } = r.value
    let value: unknown
    try {
      value = (port[op] as AnyOp).apply(port, args)
    } catch (error) {
      r = program.throw(error)
      continue
    }
    r = program.next(value)
  }
  return r.value
}

/**
 * Runs a program to its end on an asynchronous port, one awaited operation at a time.
 * What store/postgres runs its programs with.
 */
export async function runAsync<T>(port: AsyncTxPort, program: Program<T>): Promise<T> {
  let r = program.next()
  while (!r.done) {
    const { op, args } = r.value
    let value: unknown
    try {
      value = await (port[op] as AnyOp).apply(port, args)
    } catch (error) {
      r = program.throw(error)
      continue
    }
    r = program.next(value)
  }
  return r.value
}

/**
 * Runs `program` in a savepoint: its writes are kept when it returns and undone when it throws
 * (the throw is passed on). Nested programs are how one plan of a batch fails alone.
 */
export function* inSavepoint<T>(program: Program<T>): Program<T> {
  yield* tx.savepoint()
  try {
    const value = yield* program
    // Inside the try: on PostgreSQL writes nobody reads go out with the release (exec.ts), so a
    // write of this program that fails fails there — and is undone with the savepoint.
    yield* tx.releaseSavepoint()
    return value
  } catch (error) {
    yield* tx.rollbackSavepoint()
    throw error
  }
}
