/**
 * Attachments (DESIGN §3, §6): the one loader of files a request hands over (inline or by URL),
 * the signed links outbound payloads carry, and `GET /v1/attachments/{id}` that serves them.
 */
export { loadAttachments, type LoadedAttachment } from './load.js'
export { attachmentLinks, type AttachmentLinks } from './links.js'
export { attachmentAccess, getAttachment } from './routes.js'
