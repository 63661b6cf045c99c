import { afterEach, describe, expect, it } from 'vitest'
import { testStoreDialect } from '../../../test/helpers/postgres.js'
import { openTempStore, type TempStore } from '../test-fixtures.js'

describe.skipIf(testStoreDialect() !== 'postgres')('blobs in PostgreSQL (DESIGN §10)', () => {
  let t: TempStore | undefined
  afterEach(async () => {
    await t?.dispose()
    t = undefined
  })

  it('stores a blob under its sha256 and reads it back; same bytes twice: one row', async () => {
    t = await openTempStore()
    const data = Buffer.from([0, 1, 2, 255, 0x5c, 0x27])
    const a = await t.store.blobs.put(data)
    expect(await t.store.blobs.put(data)).toEqual(a)
    expect(a).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: 6 })
    expect(await t.store.blobs.read(a.sha256)).toEqual(data)
    expect(() => t?.store.blobs.path('../../etc/passwd')).toThrow()
    await expect(t.store.blobs.read('0'.repeat(64))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('any daemon serves any attachment: a second store on the same database reads it', async () => {
    t = await openTempStore()
    const { sha256 } = await t.store.blobs.put(Buffer.from('written by daemon A'))
    await t.reopen()
    expect((await t.store.blobs.read(sha256)).toString()).toBe('written by daemon A')
  })

  it('refuses new calls once closed, after the ones in flight finish', async () => {
    t = await openTempStore()
    const pending = t.store.blobs.put(Buffer.from('in flight'))
    await t.store.close()
    expect((await pending).size).toBe(9)
    await expect(t.store.kv.get('a', 'b')).rejects.toThrow(/closed/)
    await t.reopen()
  })
})
