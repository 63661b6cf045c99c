/**
 * Sending one message (DESIGN §2, §5, §6): `POST /v1/messages` and `GET /v1/messages/{id}`. The
 * send resolves its target (`target.ts`), loads attachments, builds the rules' facts (`facts.ts`,
 * shared with eligibility and bulk), asks `rules.evaluate()` and turns an allowed decision into the
 * store's AcceptPlan (`plan.ts`, shared with bulk).
 */
export { send } from './use-case.js'
export { bodyHash, type Idempotency, type SendOutcome } from './idempotency.js'
export { contactChannelFacts, contactFacts, recipientFacts, unrepliedToday } from './facts.js'
export { buildAcceptPlan } from './plan.js'
export { getMessage, sendMessage } from './routes.js'
