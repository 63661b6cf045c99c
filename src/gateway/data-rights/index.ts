/** Data rights (DESIGN §15): export and erase a contact. */
export { eraseContactRoute } from './erase.js'
export { exportContactRoute } from './export.js'
