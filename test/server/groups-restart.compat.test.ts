import { afterEach, describe, expect, it } from 'vitest'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, startServerOnDir, stopServer, waitFor } from './helpers.js'
import { kafkaFor } from './kafkajs-client.js'

/**
 * A KafkaJS 2.2.4 consumer group across a restart of the server in the middle of its generation:
 * the server loads the group from its metadata record, the consumers reconnect, carry on under
 * the member ids and generation they had (no new member ids), and every record is consumed with
 * its offsets committed to the end.
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

/* eslint-disable @typescript-eslint/no-explicit-any -- KafkaJS's client objects */
describe('KafkaJS group across a server restart', () => {
  it('resumes in its generation with the same member ids; nothing committed is lost, every record is consumed', async () => {
    const settings = { groupInitialRebalanceDelayMs: 100 }
    const first = await startServerOnDir(undefined, settings)
    const port = first.port
    await first.engine.createTopic('jobs', { partitions: 4 })
    const produce = async (engine: typeof first.engine, from: number, to: number) => {
      for (let value = from; value < to; value++)
        await engine.partition('jobs', value % 4).appendRecords([{ value: Buffer.from(String(value)) }])
    }
    await produce(first.engine, 0, 200)

    const kafka = kafkaFor(port, { retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } })
    const seen = new Set<string>()
    const joins: string[] = []
    const consumers = [0, 1].map(() =>
      kafka.consumer({ groupId: 'workers', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 }),
    )
    for (const consumer of consumers) {
      consumer.on(consumer.events.GROUP_JOIN, (event: any) => joins.push(event.payload.memberId))
      await consumer.connect()
      await consumer.subscribe({ topic: 'jobs', fromBeginning: true })
    }
    try {
      await Promise.all(
        consumers.map((consumer) => consumer.run({ eachMessage: async ({ message }: any) => void seen.add(message.value.toString()) })),
      )
      await waitFor(() => seen.size === 200, 30_000, 'the first records consumed')
      const committedAt = (engine: typeof first.engine) =>
        [0, 1, 2, 3].map((partition) => engine.offsets.fetch('workers', 'jobs', partition)?.offset)
      await waitFor(() => committedAt(first.engine).every((offset) => offset === 50), 15_000, 'the first records committed')
      const membersBefore = new Set(first.engine.offsets.groupMetadata('workers')!.members.map((member) => member.memberId))
      expect(membersBefore.size).toBe(2)
      const generationBefore = first.engine.offsets.groupMetadata('workers')!.generation
      const joinsBefore = joins.length
      // The server stops under the running group, mid-generation.
      await stopServer(first)

      const again = await startServerOnDir(first.dir, { ...settings, port })
      const restored = again.engine.offsets.groupMetadata('workers')!
      expect(restored.generation).toBe(generationBefore)
      expect(committedAt(again.engine)).toEqual([50, 50, 50, 50])
      await produce(again.engine, 200, 400)
      await waitFor(() => seen.size === 400, 30_000, 'the records produced after the restart consumed')
      // The same members, the same generation: the group carried on, nobody rejoined as a stranger.
      const group = (await kafka.admin().describeGroups(['workers'])).groups[0]
      expect(group.state).toBe('Stable')
      expect(new Set(group.members.map((member: any) => member.memberId))).toEqual(membersBefore)
      expect(again.engine.offsets.groupMetadata('workers')!.generation).toBe(generationBefore)
      // Any rejoin KafkaJS made was under a member id it already had.
      expect(joins.slice(joinsBefore).every((memberId) => membersBefore.has(memberId))).toBe(true)
      await waitFor(
        () => [0, 1, 2, 3].every((partition) => again.engine.offsets.fetch('workers', 'jobs', partition)?.offset === 100),
        15_000,
        'commits at the end of every partition',
      )
    } finally {
      for (const consumer of consumers) await consumer.disconnect().catch(() => undefined)
    }
  }, 60_000)
})
