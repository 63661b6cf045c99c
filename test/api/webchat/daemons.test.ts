/**
 * Web chat across daemons (DESIGN §10, §12): two gateways on ONE PostgreSQL database; a widget
 * streaming from gateway B gets the message an agent sent through gateway A (whose dispatcher
 * hands it over), it becomes `delivered`, and the fallback timers both daemons heard agree.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { SharedBus } from '../../../src/gateway/live/shared-bus.js'
import { startGateway, type TestGateway } from '../../helpers/harness.js'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../helpers/postgres.js'
import { agentSends, statusOf, visitor, webchatYaml } from './rig.js'

describe.runIf(testStoreDialect() === 'postgres')('web chat across daemons', () => {
  let a: TestGateway | undefined
  let b: TestGateway | undefined
  let database = ''
  afterEach(async () => {
    await b?.close()
    await a?.close()
    if (database) await dropTestDatabase(database)
    a = b = undefined
    database = ''
  })

  it('a stream on daemon B gets a message sent through daemon A, and marks it delivered', async () => {
    database = uniqueDatabaseName('webchat2')
    const url = await createTestDatabase(database)
    a = await startGateway(webchatYaml(), { postgresUrl: url, dispatcher: true })
    b = await startGateway(webchatYaml(), { postgresUrl: url, dispatcher: false })
    const busB = b.gw.svc.live as SharedBus
    await expect.poll(() => busB.listenCount).toBeGreaterThanOrEqual(1)
    const onB = await visitor(b, 'user-1')
    const s = await onB.stream()
    try {
      const id = await agentSends(a, onB.contactId, 'sent through A')
      await expect
        .poll(() => s.events.find((e) => e.event === 'message')?.data, { timeout: 10_000 })
        .toMatchObject({ id, text: 'sent through A', direction: 'out' })
      await expect.poll(() => statusOf(a!, id), { timeout: 10_000 }).toBe('delivered')
      // The visitor writes through B: A's console stream would see it as any inbound message.
      const own = await onB.post('/messages', { text: 'thanks', client_id: 'k1' })
      expect((await a.call('GET', `/v1/messages/${own.body.message_id}`)).body.direction).toBe('in')
    } finally {
      await s.stop()
    }
  })
})
