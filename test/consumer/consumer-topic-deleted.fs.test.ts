import { afterEach, describe, expect, it } from 'vitest'
import type { Consumer } from '../../src/consumer/consumer.js'
import { SeglogError, UnknownTopicOrPartitionError } from '../../src/errors.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { prng } from './helpers.js'

/**
 * A consumer reading a topic that is deleted under it ends, promptly, with
 * UnknownTopicOrPartitionError (isDeleted) — not a hang waiting for appends that never come, and
 * not an EBADF from a read whose file was closed. Each run deletes at a random moment: while the
 * consumer is reading (small reads, so reads are in flight), or while it waits at the end.
 */

afterEach(removeTmpDirs)

const RUNS = 30
const PROMPT_MS = 1_500
const SEED = process.env.SEGLOG_TEST_SEED ? Number(process.env.SEGLOG_TEST_SEED) : (Math.random() * 0x1_0000_0000) >>> 0

type Outcome = { kind: 'error'; error: unknown; records: number } | { kind: 'ended'; records: number } | { kind: 'hung'; records: number }

/** Iterates until the iterator ends or throws; 'hung' if neither happens within PROMPT_MS of the delete. */
async function drain(consumer: Consumer, deletedAt: Promise<number>): Promise<Outcome> {
  let records = 0
  const iterate = (async (): Promise<Outcome> => {
    try {
      for await (const _ of consumer) records++
      return { kind: 'ended', records }
    } catch (error) {
      return { kind: 'error', error, records }
    }
  })()
  const hung = deletedAt.then(
    () => new Promise<Outcome>((resolve) => setTimeout(() => resolve({ kind: 'hung', records }), PROMPT_MS).unref()),
  )
  return Promise.race([iterate, hung])
}

describe('consuming a topic while it is deleted', () => {
  it(`${RUNS} runs: every consumer ends with UNKNOWN_TOPIC_OR_PARTITION (isDeleted) within ${PROMPT_MS} ms (seed ${SEED})`, async () => {
    const random = prng(SEED)
    const failures: string[] = []
    for (let run = 0; run < RUNS; run++) {
      const dir = await makeTmpDir('seglog-consume-delete-')
      const engine = await openQuietEngine(dir)
      try {
        await engine.createTopic('t', { partitions: 2, segmentBytes: 8192 })
        for (let partition = 0; partition < 2; partition++) {
          const log = engine.partition('t', partition)
          for (let batch = 0; batch < 20; batch++) {
            await log.appendRecords(
              Array.from({ length: 10 }, (_, slot) => ({ value: Buffer.alloc(100, batch * 10 + slot), timestamp: 1_700_000_000_000 })),
            )
          }
        }
        const consumer = await engine.consumer({ group: `g${run}`, topics: ['t'], maxBytes: 256 })
        // Half the runs delete while records are still being read, half once the consumer waits at the end.
        const waitsAtEnd = random() < 0.5
        const delayMs = waitsAtEnd ? 50 + Math.floor(random() * 50) : Math.floor(random() * 4)
        let markDeleted!: (at: number) => void
        const deletedAt = new Promise<number>((resolve) => (markDeleted = resolve))
        const outcome = drain(consumer, deletedAt)
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        await engine.deleteTopic('t')
        markDeleted(Date.now())
        const result = await outcome
        await consumer.close()
        const label = `run ${run} (${waitsAtEnd ? 'waiting at the end' : 'reading'}, delete after ${delayMs} ms, ${result.records} records read)`
        if (result.kind !== 'error') {
          failures.push(`${label}: ${result.kind === 'hung' ? `still running ${PROMPT_MS} ms after the delete` : 'ended without an error'}`)
          continue
        }
        const error = result.error
        if (
          !(error instanceof UnknownTopicOrPartitionError) ||
          error.code !== 'UNKNOWN_TOPIC_OR_PARTITION' ||
          error.topic !== 't' ||
          !error.isDeleted
        ) {
          const shown = error instanceof SeglogError ? `${error.code}: ${error.message}` : String(error)
          failures.push(`${label}: ended with ${shown}`)
        }
      } finally {
        await engine.close()
      }
    }
    expect(failures, `seed ${SEED} (rerun with SEGLOG_TEST_SEED=${SEED})`).toEqual([])
  }, 120_000)

  it('batches() ends the same way, and commit() or close() afterwards do not fail on the deleted topic', async () => {
    const dir = await makeTmpDir('seglog-consume-delete-')
    const engine = await openQuietEngine(dir)
    try {
      await engine.createTopic('t')
      await engine.createTopic('kept')
      await engine.partition('t', 0).appendRecords([{ value: Buffer.from('x') }])
      await engine.partition('kept', 0).appendRecords([{ value: Buffer.from('y') }])
      const consumer = await engine.consumer({ group: 'g', topics: ['t', 'kept'], autoCommitMs: 60_000 })
      const seen: string[] = []
      let caught: unknown
      const reading = (async () => {
        try {
          for await (const batch of consumer.batches()) seen.push(...batch.records.map((record) => record.value!.toString()))
        } catch (error) {
          caught = error
        }
      })()
      while (seen.length < 2) await new Promise((resolve) => setTimeout(resolve, 5))
      await engine.deleteTopic('t')
      const hung = new Promise((resolve) => setTimeout(() => resolve('hung'), PROMPT_MS).unref())
      expect(await Promise.race([reading, hung]), 'batches() still running after the delete').not.toBe('hung')
      expect(caught).toBeInstanceOf(UnknownTopicOrPartitionError)
      expect(caught).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', topic: 't', isDeleted: true })
      await consumer.commit()
      await consumer.close()
      expect(engine.offsets.fetch('g', 'kept', 0)?.offset).toBe(1)
    } finally {
      await engine.close()
    }
  })
})

describe('a topic deleted while a consumer is being created', () => {
  it('either the creation or the first read fails with UNKNOWN_TOPIC_OR_PARTITION (isDeleted); nothing hangs', async () => {
    for (let run = 0; run < 10; run++) {
      const dir = await makeTmpDir('seglog-consume-delete-')
      const engine = await openQuietEngine(dir)
      try {
        await engine.createTopic('t', { partitions: 3 })
        for (const log of engine.partitions('t'))
          await log.appendRecords(
            Array.from({ length: 20 }, (_, slot) => ({ value: Buffer.from(`v${slot}`), timestamp: 1_700_000_000_000 + slot })),
          )
        // A timestamp start makes the creation read each partition before it returns.
        const creating = engine.consumer({ group: 'g', topics: ['t'], from: { timestamp: 1_700_000_000_010 } })
        const deleting = engine.deleteTopic('t')
        let error: unknown
        try {
          const consumer = await creating
          const iterator = consumer[Symbol.asyncIterator]()
          const hung = new Promise((resolve) => setTimeout(() => resolve('hung'), PROMPT_MS).unref())
          try {
            for (;;) {
              const step = await Promise.race([iterator.next(), hung])
              if (step === 'hung' || (step as IteratorResult<unknown>).done) break
            }
          } catch (caught) {
            error = caught
          }
          await consumer.close()
        } catch (caught) {
          error = caught
        }
        await deleting
        expect(error, `run ${run}`).toBeInstanceOf(UnknownTopicOrPartitionError)
        expect(error, `run ${run}`).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', topic: 't', isDeleted: true })
      } finally {
        await engine.close()
      }
    }
  })
})
