/**
 * Time-based sending (DESIGN §14): scheduled sends (`send_at`: read in `send-at.ts`, checked again
 * by the dispatcher in `recheck.ts`) and cancelling a message not sent yet (`cancel.ts`).
 */
export { cancelMessageRoute } from './cancel.js'
