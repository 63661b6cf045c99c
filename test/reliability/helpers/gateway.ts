/**
 * An in-process gateway for the reliability suites: test/helpers/harness.ts's gateway, logging
 * through the daemon's own logger into the suites' log folder, so those logs are grepped for
 * secrets too.
 */
import type { GatewayOptions } from '../../../src/gateway/gateway.js'
import { KEYS, startGateway, type TestGateway } from '../../helpers/harness.js'
import { fileLogger } from './logs.js'

export { KEYS }

export type LoggedGateway = TestGateway

export function startLoggedGateway(
  yamlBody: string,
  opts: {
    /** Log file name in the log folder (without .log). */
    log: string
    dispatcher?: boolean
    env?: Record<string, string>
    connectorFactory?: GatewayOptions['connectorFactory']
    healthClock?: GatewayOptions['healthClock']
  },
): Promise<LoggedGateway> {
  const { log, ...rest } = opts
  return startGateway(yamlBody, { ...rest, log: fileLogger(log) })
}
