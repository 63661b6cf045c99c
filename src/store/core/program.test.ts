import { describe, expect, it } from 'vitest'
import { StoreConflict } from '../types.js'
import type { AsyncTxPort, TxPort } from './port.js'
import { inSavepoint, runAsync, runSync, tx, type Program } from './program.js'

/** A port that records the operations it ran; `insertIdentity` refuses address `taken`. */
function recordingPort(): { port: TxPort; ran: string[] } {
  const ran: string[] = []
  const ops: Partial<TxPort> = {
    lockContact: (id) => (ran.push(`lock ${id}`), { version: 3, merged_into: null }),
    insertIdentity: (i) => {
      ran.push(`insert ${i.address}`)
      if (i.address === 'taken') throw new StoreConflict('identity_taken')
    },
    savepoint: () => void ran.push('savepoint'),
    releaseSavepoint: () => void ran.push('release'),
    rollbackSavepoint: () => void ran.push('rollback'),
  }
  return { port: ops as TxPort, ran }
}

function asAsync(port: TxPort): AsyncTxPort {
  return new Proxy(port, {
    get:
      (target, op: keyof TxPort) =>
      async (...args: unknown[]) => {
        await new Promise((r) => setImmediate(r)) // a round trip, as a network driver has
        return (target[op] as (...a: unknown[]) => unknown)(...args)
      },
  }) as unknown as AsyncTxPort
}

function* program(address: string): Program<string> {
  const lock = yield* tx.lockContact('ct_1')
  try {
    yield* inSavepoint(tx.insertIdentity({ id: 'id_1', channel: 'tg', address }, 'ct_1', 'now'))
  } catch (error) {
    // A port's throw arrives at the program's yield*, like an awaited rejection.
    if (error instanceof StoreConflict) return `conflict at version ${lock?.version}`
    throw error
  }
  return `inserted at version ${lock?.version}`
}

describe('core programs', () => {
  it('run the same on a synchronous and an asynchronous port', async () => {
    for (const address of ['free', 'taken']) {
      const a = recordingPort()
      const b = recordingPort()
      const sync = runSync(a.port, program(address))
      const async = await runAsync(asAsync(b.port), program(address))
      expect(async).toBe(sync)
      expect(b.ran).toEqual(a.ran)
    }
  })

  it('keep a savepoint when the nested program returns and undo it when it throws', () => {
    const ok = recordingPort()
    expect(runSync(ok.port, program('free'))).toBe('inserted at version 3')
    expect(ok.ran).toEqual(['lock ct_1', 'savepoint', 'insert free', 'release'])
    const refused = recordingPort()
    expect(runSync(refused.port, program('taken'))).toBe('conflict at version 3')
    expect(refused.ran).toEqual(['lock ct_1', 'savepoint', 'insert taken', 'rollback'])
  })

  it('pass on what the program does not catch', async () => {
    function* failing(): Program<void> {
      yield* tx.lockContact('ct_1')
      throw new Error('bug')
    }
    expect(() => runSync(recordingPort().port, failing())).toThrow('bug')
    await expect(runAsync(asAsync(recordingPort().port), failing())).rejects.toThrow('bug')
  })
})
