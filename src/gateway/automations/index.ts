/**
 * Automations (DESIGN §14): the engine (a trigger → conditions → send / tag / assign, recorded
 * once in the store), its singleton runner (live-bus triggers, silent-thread polling) and the
 * agents' presence for `no_agent_online`. Config: `config/automations-schema.ts`.
 */
export { Presence, storePresenceTransport } from './presence.js'
export { automationRunner, type AutomationRunner } from './runner.js'
