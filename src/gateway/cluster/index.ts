/**
 * Several daemons on one store (DESIGN §10): the daemon id, the coordinator of named locks, and
 * the scheduler singleton built on it. The channel registry uses the coordinator for stateful
 * connectors (one owner per channel).
 */
export { DaemonIdError, daemonId } from './daemon-id.js'
export { Cluster, localLocks, type LockBackend, type LockListener } from './coordinator.js'
export { Scheduler, type Singleton, type SingletonFactory } from './scheduler.js'
