// What the bundle gives node-fetch (grammY's HTTP client) for `whatwg-url`: Node's own URL.
// node-fetch takes `url.URL` when Node has it (every Node we run on) and imports whatwg-url only
// as the fallback; the real package would load tr46's Unicode tables (a third of the Telegram
// connector's code) for nothing. Nothing else in the bundle imports whatwg-url
// (test/build/bundle.test.ts checks).
export default { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams }
export const URL = globalThis.URL
export const URLSearchParams = globalThis.URLSearchParams
