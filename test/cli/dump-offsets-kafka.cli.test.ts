import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { OFFSETS_TOPIC } from '../../src/consumer/offset-store.js'
import { CLEAN_SHUTDOWN_FILE } from '../../src/engine/log-engine.js'
import { assertCliBuilt, outputLines, runCli } from '../helpers/cli.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * `seglog dump --offsets-decoder` on an offsets log a Kafka 3.1.0 broker wrote (group-metadata
 * records, see test/fixtures/kafka-3.1.0-consumer-offsets/README.md) and on one seglog's server
 * path writes (offset commits and group metadata through the offset store): Kafka's line shapes,
 * exit 0. And an engine whose offsets log is Kafka's file opens and knows the group.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

const FIXTURE = fileURLToPath(
  new URL('../fixtures/kafka-3.1.0-consumer-offsets/__consumer_offsets-0/00000000000000000000.log', import.meta.url),
)
const MEMBER = 'console-consumer-4fcee79b-493d-41c0-b3ea-633d704faf45'

describe("Kafka's own __consumer_offsets segment", () => {
  it('prints both group-metadata records as kafka-dump-log --offsets-decoder does', async () => {
    const result = await runCli(['dump', '--offsets-decoder', FIXTURE])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const records = outputLines(result.stdout).filter((line) => line.startsWith('| offset: '))
    expect(records).toEqual([
      '| offset: 0 CreateTime: 1645954314499 keySize: 26 valueSize: 245 sequence: -1 headerKeys: [] ' +
        'key: {"type":"2","data":{"group":"console-consumer-14897"}} ' +
        'payload: {"version":"3","data":{"protocolType":"consumer","generation":1,"protocol":"range",' +
        `"leader":"${MEMBER}","currentStateTimestamp":1645954314494,"members":[{"memberId":"${MEMBER}",` +
        '"groupInstanceId":null,"clientId":"console-consumer","clientHost":"/192.168.50.45",' +
        '"rebalanceTimeout":300000,"sessionTimeout":45000,"subscription":{"topics":["cities"],"userData":null,' +
        '"ownedPartitions":[]},"assignment":{"assignedPartitions":[{"topic":"cities","partitions":[0]}],"userData":null}}]}}',
      '| offset: 1 CreateTime: 1645954316921 keySize: 26 valueSize: 32 sequence: -1 headerKeys: [] ' +
        'key: {"type":"2","data":{"group":"console-consumer-14897"}} ' +
        'payload: {"version":"3","data":{"protocolType":"consumer","generation":2,"protocol":null,"leader":null,' +
        '"currentStateTimestamp":1645954316920,"members":[]}}',
    ])
  })

  it('--json carries the decoded group metadata', async () => {
    const result = await runCli(['dump', '--json', '--offsets-decoder', FIXTURE])
    expect(result.code).toBe(0)
    const records = outputLines(result.stdout)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.type === 'record')
    expect(records.map((record) => record.groupMetadata)).toMatchObject([
      { group: 'console-consumer-14897', value: { version: 3, generation: 1, protocol: 'range', leader: MEMBER } },
      { group: 'console-consumer-14897', value: { version: 3, generation: 2, members: [] } },
    ])
    expect(records.map((record) => record.offsetsError)).toEqual([null, null])
  })

  it('an engine whose offsets log is that file opens and knows the group, Empty in generation 2', async () => {
    const dir = await makeTmpDir('seglog-kafka-offsets-')
    const engine = await openQuietEngine(dir)
    await engine.close()
    const offsetsDir = path.join(dir, `${OFFSETS_TOPIC}-0`)
    for (const file of fs.readdirSync(offsetsDir)) if (/^0+\.(index|timeindex)$/.test(file)) fs.rmSync(path.join(offsetsDir, file))
    fs.copyFileSync(FIXTURE, path.join(offsetsDir, '00000000000000000000.log'))
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE), { force: true })
    const reopened = await openQuietEngine(dir)
    expect(reopened.offsets.listGroupMetadata()).toEqual(['console-consumer-14897'])
    expect(reopened.offsets.groupMetadata('console-consumer-14897')).toEqual({
      protocolType: 'consumer',
      generation: 2,
      protocol: null,
      leader: null,
      currentStateTimestamp: 1645954316920,
      members: [],
    })
    await reopened.close()
  })
})

describe('what the offset store writes', () => {
  it('prints commits and group metadata in one log, a deleted group as <DELETE> for each of its keys', async () => {
    const dir = await makeTmpDir('seglog-offsets-dump-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('t')
    await engine.partition('t', 0).appendRecords([{ value: Buffer.from('a') }])
    const metadata = {
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: 'm',
      currentStateTimestamp: 1_700_000_000_000,
      members: [
        {
          memberId: 'm',
          groupInstanceId: 'static',
          clientId: 'c',
          clientHost: '/127.0.0.1',
          rebalanceTimeoutMs: 60_000,
          sessionTimeoutMs: 30_000,
          // Subscription v0 to "t" with empty user data; assignment v0 of t-0.
          subscription: Buffer.from('0000000000010001740000000000', 'hex'),
          assignment: Buffer.from('000000000001000174000000010000000000000000', 'hex'),
        },
      ],
    }
    await engine.offsets.storeGroupMetadata('g', metadata)
    await engine.offsets.commit('g', 't', 0, 1, 'done')
    await engine.offsets.deleteGroup('g')
    await engine.close()
    const result = await runCli(['dump', '--offsets-decoder', path.join(dir, `${OFFSETS_TOPIC}-0`, '00000000000000000000.log')])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const payloads = outputLines(result.stdout)
      .filter((line) => line.startsWith('| offset: '))
      .map((line) => line.replace(/^.* key: /, 'key: '))
    expect(payloads).toEqual([
      'key: {"type":"2","data":{"group":"g"}} payload: {"version":"3","data":{"protocolType":"consumer","generation":1,' +
        '"protocol":"range","leader":"m","currentStateTimestamp":1700000000000,"members":[{"memberId":"m","groupInstanceId":"static",' +
        '"clientId":"c","clientHost":"/127.0.0.1","rebalanceTimeout":60000,"sessionTimeout":30000,' +
        '"subscription":{"topics":["t"],"userData":""},"assignment":{"assignedPartitions":[{"topic":"t","partitions":[0]}],"userData":""}}]}}',
      expect.stringMatching(
        /^key: \{"type":"1","data":\{"group":"g","topic":"t","partition":0\}\} payload: \{"version":"3","data":\{"offset":1,"leaderEpoch":-1,"metadata":"done","commitTimestamp":\d+\}\}$/,
      ),
      'key: {"type":"1","data":{"group":"g","topic":"t","partition":0}} payload: <DELETE>',
      'key: {"type":"2","data":{"group":"g"}} payload: <DELETE>',
    ])
  })
})
