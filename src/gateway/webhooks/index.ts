/** App-webhook dead letters: list and replay (DESIGN §15). */
export { deliveryView, listDeliveries, replayDelivery } from './routes.js'
