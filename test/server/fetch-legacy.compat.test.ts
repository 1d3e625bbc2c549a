import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { openIdleEngine } from '../helpers/engine.js'
import { legacyEntry, legacyInputs, legacyWrapper } from '../helpers/legacy-messages.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, startServerOnDir } from './helpers.js'
import { fetchAll, kafkajsBroker } from './kafkajs-client.js'

/**
 * Fetch passes legacy entries (magic 0 and 1) through as stored, and KafkaJS, which still reads
 * message sets, gets every record with its offset, key, value and timestamp.
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

describe('Fetch over a partition upgraded from the legacy formats', () => {
  it('serves legacy entries byte for byte, and KafkaJS reads every record', async () => {
    const dir = await makeTmpDir('seglog-server-')
    const engine = await openIdleEngine(dir)
    await engine.createTopic('old', { partitions: 1 })
    await engine.close()
    const segment = Buffer.concat([
      legacyWrapper(0, 0, legacyInputs(3, 0), 'gzip'),
      legacyEntry(0, 3, legacyInputs(1, 3)[0]!),
      legacyWrapper(1, 4, legacyInputs(3, 4), 'gzip'),
      legacyEntry(1, 7, legacyInputs(1, 7)[0]!),
      encodeBatch([{ key: null, value: Buffer.from('v8'), timestamp: 1_700_000_000_008 }], { baseOffset: 8, partitionLeaderEpoch: 0 }),
    ])
    const file = path.join(dir, 'old-0', '00000000000000000000.log')
    await writeFile(file, segment)
    for (const suffix of ['.index', '.timeindex']) await rm(file.replace('.log', suffix), { force: true })
    await rm(path.join(dir, '.clean-shutdown'), { force: true })

    const { port } = await startServerOnDir(dir)
    const broker = await kafkajsBroker(port)
    try {
      const messages = await fetchAll(broker, 'old', 0)
      expect(messages.map((message) => [Number(message.offset), message.value?.toString()])).toEqual(
        Array.from({ length: 9 }, (_, offset) => [offset, `v${offset}`]),
      )
      // Magic 0 carries no timestamps (KafkaJS reports -1 or nothing); magic 1 and 2 carry the producer's.
      expect(messages.slice(4).map((message) => Number(message.timestamp))).toEqual([4, 5, 6, 7, 8].map((n) => 1_700_000_000_000 + n))
      const fromMiddle = await fetchAll(broker, 'old', 0, 5)
      expect(fromMiddle.map((message) => Number(message.offset))).toEqual([5, 6, 7, 8])
    } finally {
      await broker.disconnect()
    }
    expect((await readFile(file)).subarray(0, segment.length).equals(segment)).toBe(true)
  })
})
