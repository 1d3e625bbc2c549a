import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OFFSETS_TOPIC } from '../../src/consumer/offset-store.js'
import { encodeGroupMetadataKey, type GroupMetadata } from '../../src/format/group-metadata.js'
import { encodeOffsetKey } from '../../src/format/offset-commit.js'
import { PartitionLog } from '../../src/log/partition-log.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import type { LogEngine } from '../../src/engine/log-engine.js'
import { rejection } from '../helpers/errors.js'

/**
 * Group metadata in the offset store: stored, replayed on open, restated by compaction, deleted with
 * its group; and offsets logs written by Kafka brokers of today (offset commit values of version
 * 4, group metadata of versions 0-4), which must open, while a version no schema defines stops the
 * open naming the file, the byte and the record's offset.
 */

afterEach(removeTmpDirs)

const T = 1_700_000_000_000

function membership(generation: number, members = 2): GroupMetadata {
  return {
    protocolType: 'consumer',
    generation,
    protocol: 'range',
    leader: 'm0',
    currentStateTimestamp: T + generation,
    members: Array.from({ length: members }, (_, slot) => ({
      memberId: `m${slot}`,
      groupInstanceId: slot === 0 ? 'static-0' : null,
      clientId: 'client',
      clientHost: '/127.0.0.1',
      rebalanceTimeoutMs: 30_000,
      sessionTimeoutMs: 10_000,
      subscription: Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0]),
      assignment: Buffer.from([slot]),
    })),
  }
}

async function dirWithTopic(): Promise<string> {
  const dir = await makeTmpDir('seglog-group-metadata-')
  const engine = await openQuietEngine(dir, { flush: 'sync' })
  await engine.createTopic('t', { partitions: 2 })
  await engine.partition('t', 0).appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }])
  await engine.close()
  return dir
}

/** Appends raw records to the offsets log past the engine (as a Kafka broker's log would hold them). */
async function appendRaw(dir: string, records: { key: Buffer; value: Buffer | null }[]): Promise<{ segment: string; position: number }> {
  const logDir = path.join(dir, `${OFFSETS_TOPIC}-0`)
  const segment = path.join(logDir, '00000000000000000000.log')
  const position = fs.statSync(segment).size
  const log = await PartitionLog.open(
    logDir,
    OFFSETS_TOPIC,
    0,
    {
      segmentBytes: 16 * 1024 * 1024,
      segmentMs: 7 * 864e5,
      segmentIndexBytes: 10 * 1024 * 1024,
      indexIntervalBytes: 4096,
      retentionMs: -1,
      retentionBytes: -1,
      maxBatchBytes: 1 << 24,
    },
    { isClean: true, recoveryPoint: 0, logStartOffset: 0 },
  )
  await log.appendRecords(
    records.map((record) => ({ ...record, timestamp: T })),
    { compression: 'none' },
  )
  await log.close()
  return { segment, position }
}

describe('group metadata in the offset store', () => {
  it('is stored, survives reopen, and the last record per group wins', async () => {
    const dir = await dirWithTopic()
    const engine = await openQuietEngine(dir, { flush: 'sync' })
    await engine.offsets.storeGroupMetadata('g', membership(1))
    await engine.offsets.storeGroupMetadata('g', membership(2, 3))
    await engine.offsets.storeGroupMetadata('h', membership(7, 0))
    await engine.offsets.commit('g', 't', 0, 2)
    expect(engine.offsets.groupMetadata('g')).toEqual(membership(2, 3))
    await engine.close()

    const reopened = await openQuietEngine(dir, { flush: 'sync' })
    expect(reopened.offsets.listGroupMetadata()).toEqual(['g', 'h'])
    expect(reopened.offsets.groupMetadata('g')).toEqual(membership(2, 3))
    expect(reopened.offsets.groupMetadata('h')).toEqual(membership(7, 0))
    expect(reopened.offsets.groupMetadata('none')).toBeNull()
    // Offsets and memberships are separate: listGroups still lists groups with offsets.
    expect(reopened.offsets.listGroups()).toEqual(['g'])
    await reopened.close()
  })

  it('deleteGroup tombstones offsets and membership in one batch; deleteGroupMetadata only the membership', async () => {
    const dir = await dirWithTopic()
    const engine = await openQuietEngine(dir, { flush: 'sync' })
    await engine.offsets.storeGroupMetadata('g', membership(1))
    await engine.offsets.commit('g', 't', 0, 1)
    await engine.offsets.storeGroupMetadata('only-members', membership(3))
    await engine.offsets.storeGroupMetadata('kept-offsets', membership(4))
    await engine.offsets.commit('kept-offsets', 't', 1, 0)
    const end = engine.partition(OFFSETS_TOPIC, 0).logEndOffset
    expect(await engine.offsets.deleteGroup('g')).toBe(true)
    expect(engine.partition(OFFSETS_TOPIC, 0).logEndOffset).toBe(end + 2)
    expect(await engine.offsets.deleteGroup('only-members')).toBe(true)
    expect(await engine.offsets.deleteGroupMetadata('kept-offsets')).toBe(true)
    expect(await engine.offsets.deleteGroupMetadata('kept-offsets')).toBe(false)
    await engine.close()

    const reopened = await openQuietEngine(dir, { flush: 'sync' })
    expect(reopened.offsets.listGroupMetadata()).toEqual([])
    expect(reopened.offsets.fetch('g', 't', 0)).toBeNull()
    expect(reopened.offsets.fetch('kept-offsets', 't', 1)?.offset).toBe(0)
    await reopened.close()
  })

  it('compaction restates every live membership; deleted ones stay deleted', async () => {
    const dir = await dirWithTopic()
    const engine = await openQuietEngine(dir, { flush: 'sync' })
    for (let generation = 1; generation <= 50; generation++)
      await engine.offsets.storeGroupMetadata(`g${generation % 5}`, membership(generation))
    await engine.offsets.deleteGroup('g0')
    await engine.offsets.compact()
    const log = engine.partition(OFFSETS_TOPIC, 0)
    expect(log.logEndOffset - log.logStartOffset).toBe(4)
    await engine.close()
    const reopened = await openQuietEngine(dir, { flush: 'sync' })
    expect(reopened.offsets.listGroupMetadata()).toEqual(['g1', 'g2', 'g3', 'g4'])
    expect(reopened.offsets.groupMetadata('g4')).toEqual(membership(49))
    await reopened.close()
  })

  it('every on-disk state a compaction passes through replays to the same memberships and offsets', async () => {
    const dir = await makeTmpDir('seglog-group-metadata-compaction-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('t', { partitions: 10 })
    for (let partition = 0; partition < 10; partition++)
      await engine.partition('t', partition).appendRecords(Array.from({ length: 20 }, () => ({ value: Buffer.from('x') })))
    // 4,090 live offsets, then 30 memberships: compaction's first batch of 4,096 ends six memberships in.
    for (let group = 0; group < 409; group++)
      await engine.offsets.commitMany(
        `g${group}`,
        Array.from({ length: 10 }, (_, partition) => ({ topic: 't', partition, offset: group % 21 })),
      )
    for (let group = 0; group < 40; group++) await engine.offsets.storeGroupMetadata(`g${group}`, membership(1))
    for (let group = 0; group < 40; group += 4) await engine.offsets.storeGroupMetadata(`g${group}`, membership(2, 1))
    for (let group = 1; group < 40; group += 4) await engine.offsets.deleteGroupMetadata(`g${group}`)
    const stateOf = (of: LogEngine) => ({
      memberships: of.offsets.listGroupMetadata().map((group) => [group, of.offsets.groupMetadata(group)]),
      offsets: of.offsets.listGroups().map((group) => [group, of.offsets.describeGroup(group).map((row) => row.committedOffset)]),
    })
    const expected = stateOf(engine)
    expect(expected.memberships).toHaveLength(30)

    const snapshots: string[] = []
    const snapshot = (): void => {
      const into = `${dir}-state-${snapshots.length}`
      fs.cpSync(dir, into, { recursive: true })
      snapshots.push(into)
    }
    const append = PartitionLog.prototype.appendRecords
    const deleteBefore = PartitionLog.prototype.deleteRecordsBefore
    const appendSpy = vi.spyOn(PartitionLog.prototype, 'appendRecords').mockImplementation(async function (this: PartitionLog, ...args) {
      if (this.topic !== OFFSETS_TOPIC) return append.apply(this, args)
      snapshot()
      const info = await append.apply(this, args)
      snapshot()
      return info
    })
    const deleteSpy = vi.spyOn(PartitionLog.prototype, 'deleteRecordsBefore').mockImplementation(async function (
      this: PartitionLog,
      ...args
    ) {
      if (this.topic !== OFFSETS_TOPIC) return deleteBefore.apply(this, args)
      snapshot()
      const start = await deleteBefore.apply(this, args)
      snapshot()
      return start
    })
    try {
      await engine.offsets.compact()
    } finally {
      appendSpy.mockRestore()
      deleteSpy.mockRestore()
    }
    expect(snapshots).toHaveLength(6)
    await engine.close()
    try {
      for (const [slot, copy] of snapshots.entries()) {
        const crashed = await openQuietEngine(copy)
        expect(stateOf(crashed), `state ${slot}`).toEqual(expected)
        await crashed.close()
      }
    } finally {
      for (const copy of snapshots) fs.rmSync(copy, { recursive: true, force: true })
    }
  })

  it('refuses what the schema cannot hold, writing nothing', async () => {
    const dir = await dirWithTopic()
    const engine = await openQuietEngine(dir, { flush: 'sync' })
    const end = engine.partition(OFFSETS_TOPIC, 0).logEndOffset
    const bad = [
      { ...membership(1), generation: 2 ** 31 },
      { ...membership(1), protocol: 'x'.repeat(40_000) },
      { ...membership(1), members: [{ ...membership(1).members[0]!, assignment: 'not bytes' }] },
    ] as GroupMetadata[]
    for (const metadata of bad) expect((await rejection(engine.offsets.storeGroupMetadata('g', metadata))).code).toBe('INVALID_ARGUMENT')
    expect(engine.partition(OFFSETS_TOPIC, 0).logEndOffset).toBe(end)
    await engine.close()
  })
})

describe("offsets logs as today's Kafka brokers write them", () => {
  it('an offset commit value of version 4 and group metadata of version 4 open and read', async () => {
    const dir = await dirWithTopic()
    // OffsetCommitValue v4: offset 2, leaderEpoch 5, compact metadata "kafka", commitTimestamp, tag section with one field.
    const commit = Buffer.from(`0004 0000000000000002 00000005 06 6b61666b61 0000018bcfe56800 01 00 01 ff`.replace(/ /g, ''), 'hex')
    // GroupMetadataValue v4, an empty group at generation 9 (null protocol and leader are compact length 0).
    const group = Buffer.from(`0004 09 636f6e73756d6572 00000009 00 00 0000018bcfe56800 01 00`.replace(/ /g, ''), 'hex')
    await appendRaw(dir, [
      { key: encodeOffsetKey({ group: 'kafka-group', topic: 't', partition: 0 }), value: commit },
      { key: encodeGroupMetadataKey('kafka-group'), value: group },
    ])
    const engine = await openQuietEngine(dir, { flush: 'sync' })
    expect(engine.offsets.fetch('kafka-group', 't', 0)).toEqual({ offset: 2, metadata: 'kafka', commitTimestamp: T })
    expect(engine.offsets.groupMetadata('kafka-group')).toEqual({
      protocolType: 'consumer',
      generation: 9,
      protocol: null,
      leader: null,
      currentStateTimestamp: T,
      members: [],
    })
    await engine.close()
  })

  it('a value version no schema defines stops the open as unknown-version, naming the file, byte and offset', async () => {
    const dir = await dirWithTopic()
    const value = Buffer.from('0009 0000000000000002', 'hex')
    const { segment, position } = await appendRaw(dir, [{ key: encodeOffsetKey({ group: 'g', topic: 't', partition: 0 }), value }])
    const written = fs.readFileSync(segment).subarray(position)
    const valueInBatch = written.indexOf(value, 61)
    const error = await rejection(openQuietEngine(dir, { flush: 'sync' }))
    expect(error).toBeInstanceOf(CorruptRecordError)
    const corrupt = error as CorruptRecordError
    expect([corrupt.code, corrupt.reason, corrupt.file]).toEqual(['CORRUPT_RECORD', 'unknown-version', segment])
    expect(corrupt.position).toBe(position + valueInBatch)
    expect(corrupt.detail).toMatch(
      /^offsets record at offset 0: offset commit value version 9; Kafka's schema defines 0-4; the record is intact/,
    )
    expect(corrupt.detail).not.toContain('repair')
  })
})
