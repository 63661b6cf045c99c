/**
 * Several daemons on one store (DESIGN §10): the daemon id, the coordinator of named locks, and
 * the scheduler singleton built on it. The channel registry uses the coordinator for stateful
 * connectors (one owner per channel).
 */
export { daemonId } from './daemon-id.js'
export { Cluster, localLocks, type LockBackend } from './coordinator.js'
export { Scheduler } from './scheduler.js'
