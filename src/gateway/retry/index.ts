/** Operator retry of a failed message (DESIGN §15). */
export { retryMessageRoute } from './routes.js'
