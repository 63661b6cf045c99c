/** The config loader's front door: load, check, the schema, and the resolved types. */
export { checkConfig, loadConfig, type LoadOptions } from './load.js'
export { parseDuration, parseByteSize } from './duration.js'
export { configSchema, WEBHOOK_EVENTS, type RawConfig } from './schema.js'
export { buildJsonSchema, renderJsonSchema } from './json-schema.js'
export * from './types.js'
