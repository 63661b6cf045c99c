/**
 * Attachments (DESIGN §3, §6): the one loader of files a request hands over (inline or by URL),
 * the signed links outbound payloads carry, and `GET /v1/attachments/{id}` that serves them.
 */
export {
  ATTACHMENT_FETCH_TIMEOUT_MS,
  loadAttachments,
  type AttachmentInput,
  type LoadedAttachment,
  type LoadOptions,
} from './load.js'
export { attachmentLinks, type AttachmentLinks } from './links.js'
export { attachmentAccess, getAttachment } from './routes.js'
