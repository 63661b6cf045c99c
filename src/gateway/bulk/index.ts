/**
 * Bulk sends (DESIGN §1.6, §3, §6): the use-cases behind `/v1/bulk`, their route handlers, and the
 * runner the wiring starts and stops.
 */
export { BULK_CHUNK, BulkRunner, bulkRunner } from './runner.js'
export { BULK_SHARE } from './pacer.js'
export { cancelBulk, createBulk, getBulk, type BulkOutcome } from './use-case.js'
export { cancelBulkRoute, createBulkRoute, getBulkRoute } from './routes.js'
export { bulkView } from './view.js'
