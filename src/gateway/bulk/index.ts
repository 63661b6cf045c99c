/**
 * Bulk sends (DESIGN §1.6, §3, §6): the use-cases behind `/v1/bulk`, their route handlers, and the
 * runner the wiring starts and stops.
 */
export { BulkRunner, bulkRunner } from './runner.js'
export { cancelBulkRoute, createBulkRoute, getBulkRoute } from './routes.js'
