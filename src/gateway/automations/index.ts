/**
 * Automations (DESIGN §14): the engine (a trigger → conditions → send / tag / assign, recorded
 * once in the store), its singleton runner (live-bus triggers, silent-thread polling) and the
 * agents' presence for `no_agent_online`. Config: `config/automations-schema.ts`.
 */
export { AutomationEngine, actor, type Trigger } from './engine.js'
export { Presence, API_CALL_PRESENCE_MS } from './presence.js'
export { automationRunner, triggerOf, type AutomationRunner } from './runner.js'
