/** App-webhook dead letters: list and replay (DESIGN §15). */
export { listDeliveries, replayDelivery } from './routes.js'
