/** Data rights (DESIGN §15): erase a contact. */
export { eraseContactRoute } from './erase.js'
