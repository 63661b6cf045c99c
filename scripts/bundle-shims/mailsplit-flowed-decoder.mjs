// `@zone-eu/mailsplit/lib/flowed-decoder.js` for imapflow: see mailsplit.mjs.
export { FlowedDecoder as default } from './mailsplit.mjs'
