// What the bundle gives zod for its `locales` namespaces (`z.locales`, `z.core.locales`): English
// only, the locale zod configures itself with. zod re-exports its 40-odd locales there from one
// module, so the bundle held 0.26 MB of their source in a chunk every daemon loads at start.
// Omnigate writes its own messages for config and API errors and never switches zod's locale.
export { default as en } from 'zod/v4/locales/en.js'
