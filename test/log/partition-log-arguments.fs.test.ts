import { afterEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/errors.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { buildPartition, simpleBatches } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Bad arguments to a partition log give InvalidArgumentError (INVALID_ARGUMENT) whose message names
 * the argument, never a raw TypeError or RangeError, and change nothing.
 */

afterEach(removeTmpDirs)

const BAD_NUMBERS: unknown[] = [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '3', null, 2 ** 60]

/** Runs a call of any shape (sync throw, rejection, async iterator) and returns what it threw. */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    const result = call()
    if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) {
      for await (const item of result as AsyncIterable<unknown>) void item
    } else {
      await result
    }
  } catch (error) {
    return error
  }
  return 'nothing thrown'
}

async function expectInvalid(call: () => unknown, argument: string, label: string): Promise<void> {
  const error = await thrown(call)
  expect(error, label).toBeInstanceOf(InvalidArgumentError)
  expect((error as InvalidArgumentError).code, label).toBe('INVALID_ARGUMENT')
  expect((error as Error).message, label).toContain(argument)
}

async function withLog(test: (log: PartitionLog) => Promise<void>): Promise<void> {
  const { log } = await buildPartition({ batches: simpleBatches(10) })
  try {
    await test(log)
    // Nothing was changed by the refused calls.
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 10])
  } finally {
    await log.close()
  }
}

describe('readRaw arguments', () => {
  it('rejects a bad offset, maxBytes or maxOffset with INVALID_ARGUMENT naming it', async () => {
    await withLog(async (log) => {
      for (const bad of BAD_NUMBERS) {
        await expectInvalid(() => log.readRaw(bad as number), 'offset', `offset ${String(bad)}`)
        await expectInvalid(() => log.readRaw(0, { maxBytes: bad as number }), 'maxBytes', `maxBytes ${String(bad)}`)
        await expectInvalid(() => log.readRaw(0, { maxOffset: bad as number }), 'maxOffset', `maxOffset ${String(bad)}`)
      }
      await expectInvalid(() => log.readRaw(0, null as never), 'options', 'null options')
      await expectInvalid(() => log.readRaw(0, 5 as never), 'options', 'number options')
      // Integers outside the log are a range question, not a bad argument.
      await expect(log.readRaw(11)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' })
      // maxBytes 0 still returns one whole batch (the at-least-one-batch rule).
      expect((await log.readRaw(0, { maxBytes: 0 })).nextOffset).toBe(1)
    })
  })
})

describe('batches() and records() arguments', () => {
  it('reject bad from, to and maxBytes with INVALID_ARGUMENT naming them', async () => {
    await withLog(async (log) => {
      for (const bad of BAD_NUMBERS) {
        await expectInvalid(() => log.batches({ from: bad as number }), 'from', `batches from ${String(bad)}`)
        await expectInvalid(() => log.batches({ from: 0, to: bad as number }), 'to', `batches to ${String(bad)}`)
        await expectInvalid(() => log.batches({ from: 0, maxBytes: bad as number }), 'maxBytes', `batches maxBytes ${String(bad)}`)
        await expectInvalid(() => log.records({ from: bad as number }), 'from', `records from ${String(bad)}`)
        await expectInvalid(() => log.records({ from: 0, to: bad as number }), 'to', `records to ${String(bad)}`)
      }
      await expectInvalid(() => log.batches(null as never), 'options', 'batches null')
      await expectInvalid(() => log.records(undefined as never), 'options', 'records undefined')
    })
  })
})

describe('append arguments', () => {
  it('appendBatch rejects anything but a Buffer of whole batches with INVALID_ARGUMENT', async () => {
    await withLog(async (log) => {
      for (const bad of [null, undefined, 'bytes', 42, {}, [1, 2, 3], new Uint16Array(40)]) {
        await expectInvalid(() => log.appendBatch(bad as never), 'bytes', `appendBatch(${JSON.stringify(bad)})`)
      }
      await expectInvalid(() => log.appendBatch(Buffer.alloc(0), null as never), 'options', 'null options')
      await expectInvalid(
        () => log.appendBatch(Buffer.alloc(0), { assignOffsets: 'yes' as never }),
        'assignOffsets',
        'assignOffsets string',
      )
    })
  })

  it('appendRecords rejects a non-array and bad options with INVALID_ARGUMENT, as a rejection', async () => {
    await withLog(async (log) => {
      for (const bad of [null, undefined, 'records', 42, {}]) {
        await expectInvalid(() => log.appendRecords(bad as never), 'records', `appendRecords(${JSON.stringify(bad)})`)
      }
      await expectInvalid(() => log.appendRecords([{ value: Buffer.from('x') }], null as never), 'options', 'null options')
      // A synchronous throw would escape `.catch()` chains: these must be rejections.
      expect(() => void log.appendRecords(null as never).catch(() => undefined)).not.toThrow()
    })
  })
})

describe('truncateTo, deleteRecordsBefore, applyRetention, waitDurable and setHighWatermark arguments', () => {
  it('reject bad values with INVALID_ARGUMENT naming the argument', async () => {
    await withLog(async (log) => {
      for (const bad of BAD_NUMBERS) {
        await expectInvalid(() => log.truncateTo(bad as number), 'offset', `truncateTo ${String(bad)}`)
        await expectInvalid(() => log.deleteRecordsBefore(bad as number), 'offset', `deleteRecordsBefore ${String(bad)}`)
        await expectInvalid(() => log.waitDurable(bad as number), 'offset', `waitDurable ${String(bad)}`)
        if (bad !== null)
          await expectInvalid(() => log.setHighWatermark(bad as number), 'high watermark', `setHighWatermark ${String(bad)}`)
      }
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, '5', null]) {
        await expectInvalid(() => log.deleteRecordsBefore(1, bad as number), 'nowMs', `deleteRecordsBefore nowMs ${String(bad)}`)
        await expectInvalid(() => log.applyRetention(bad as number), 'nowMs', `applyRetention nowMs ${String(bad)}`)
      }
    })
  })
})
