/**
 * Sending one message (DESIGN §2, §5, §6): `POST /v1/messages` and `GET /v1/messages/{id}`. The
 * send resolves its target (`target.ts`), loads attachments, builds the rules' facts (`facts.ts`,
 * shared with eligibility and bulk), asks `rules.evaluate()` and turns an allowed decision into the
 * store's AcceptPlan (`plan.ts`, shared with bulk). The use-case is `send()` in `use-case.ts`.
 */
export {
  contactChannelFacts,
  contactFacts,
  loadRecipientFacts,
  recipientFacts,
  unrepliedToday,
} from './facts.js'
export { buildAcceptPlan } from './plan.js'
export { getMessage, sendMessage } from './routes.js'
