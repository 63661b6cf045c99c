/**
 * Contacts (DESIGN §1.1, §1 item 7, §6): `/v1/contacts` — create, search, read, update, the
 * per-channel eligibility answer and the timeline. Use-cases in `use-cases.ts` and
 * `eligibility.ts`; the handlers in `routes.ts` only parse and shape the answer.
 */
export {
  createContact,
  eligibility,
  getContact,
  mergeContact,
  patchContact,
  searchContacts,
  timeline,
} from './routes.js'
