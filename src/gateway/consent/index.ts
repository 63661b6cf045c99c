/**
 * Consent (DESIGN §15): opt-out and resume keywords on inbound messages, the email one-click
 * unsubscribe link and its page, and `GET/PUT /v1/contacts/{id}/consent`. Check 3b itself is the
 * rules' (`rules/contact-check.ts`); the facts it reads come from `send/facts.ts`.
 */
export { afterKeyword, keywordConsent } from './inbound-keyword.js'
export { getConsent, putConsent } from './routes.js'
export { consent, consentBody } from './schemas.js'
export { isLocalUrl, unsubscribeLinks, type UnsubscribeLinks } from './unsubscribe-links.js'
export { unsubscribeForm, unsubscribePost } from './unsubscribe-routes.js'
