/**
 * Web chat × automations (DESIGN §12, §14), end to end: a visitor's first session through the
 * real endpoint publishes `webchat.opened`, the `greet` automation answers it on the web chat
 * channel, and the greeting reaches the visitor's stream; a second visit does not greet again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../../helpers/harness.js'
import { visitor, webchatYaml } from './rig.js'

let t: TestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const AUTOMATIONS = `templates:
  greeting: { text: "Welcome {{first_name|there}}!" }
automations:
  - name: greet
    on: webchat.opened
    if: { first_visit: true }
    send: { template: greeting }
`

describe('a web chat visit greeted by an automation', () => {
  it('greets on the first session only, through the rules, and the stream receives it', async () => {
    t = await startGateway(webchatYaml('', '') + AUTOMATIONS, { dispatcher: true })
    const g = t
    for (let i = 0; i < 200 && g.gw.automations() === null; i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    const v = await visitor(g, 'user-42', { first_name: 'Ana' })
    const stream = await v.stream()
    await expect
      .poll(() => stream.events.filter((e) => e.event === 'message').map((e) => e.data.text), {
        timeout: 10_000,
      })
      .toEqual(['Welcome Ana!'])
    await stream.stop()
    const timeline = (await g.call('GET', `/v1/contacts/${v.contactId}/timeline`)).body.items as {
      kind: string
      message?: { text: string }
    }[]
    const greetings = timeline.filter((i) => i.message?.text === 'Welcome Ana!')
    expect(greetings).toHaveLength(1)
    expect(greetings[0]).toMatchObject({
      kind: 'message',
      direction: 'out',
      message: { author: { kind: 'automation', id: 'greet' }, channel: 'site' },
    })

    // A second visit of the same person: not a first visit, no second greeting.
    const again = await visitor(g, 'user-42')
    await g.gw.automations()?.idle()
    const history = (await again.get('/messages')).body.items as { text: string }[]
    expect(history.map((m) => m.text)).toEqual(['Welcome Ana!'])
  })
})
