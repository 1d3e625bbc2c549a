import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, CLI_PATH, REPO_ROOT } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from './helpers.js'
import { kafkaFor, type KafkaClient } from './kafkajs-client.js'

/**
 * `seglog serve` SIGKILLed in the middle of a KafkaJS transaction, then started again on the same
 * directory: the coordinator loads `__transaction_state`, finds the transaction Ongoing and aborts
 * it once its timeout has passed (at load, or by its timer), so read_committed readers never see
 * its records and the partition's last stable offset moves past them.
 */

const children: ChildProcessWithoutNullStreams[] = []

beforeAll(() => assertCliBuilt())

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await removeTmpDirs()
})

/* eslint-disable @typescript-eslint/no-explicit-any -- KafkaJS's client objects */

const READY = /^seglog: listening on \S+:(\d+) \(kafka\)/m

/** Starts `seglog serve DIR` and resolves with the child and its port once it is listening. */
function serve(dir: string): Promise<{ child: ChildProcessWithoutNullStreams; port: number; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, 'serve', dir, '--port', '0'], { cwd: REPO_ROOT, env: { ...process.env, CI: '1' } })
    children.push(child)
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${stderr}`)), 20_000)
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const match = READY.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ child, port: Number(match[1]), stderr: () => stderr })
      }
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      reject(new Error(`seglog serve exited with ${code}: ${stderr}`))
    })
  })
}

async function kill(child: ChildProcessWithoutNullStreams): Promise<void> {
  const closed = new Promise((resolve) => child.once('close', resolve))
  child.kill('SIGKILL')
  await closed
}

async function readCommitted(kafka: KafkaClient, last: string): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${Math.random()}`, readUncommitted: false, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic: 't', fromBeginning: true })
  const values: string[] = []
  await consumer.run({ eachMessage: async ({ message }: any) => void values.push(message.value.toString()) })
  try {
    await waitFor(() => values.includes(last), 20_000, `${last} consumed`)
  } finally {
    await consumer.disconnect()
  }
  return values
}

describe('a server SIGKILLed mid-transaction', () => {
  for (const timeoutMs of [500, 4000]) {
    it(`aborts the open transaction after its ${timeoutMs} ms timeout once restarted`, async () => {
      const dir = await makeTmpDir('seglog-txn-crash-')
      const first = await serve(dir)
      const kafka = kafkaFor(first.port)
      const admin = kafka.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: 't', numPartitions: 1 }] })
      await admin.disconnect()
      const producer = kafka.producer({
        transactionalId: 'crashy',
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: timeoutMs,
      })
      await producer.connect()
      const committed = await producer.transaction()
      await committed.send({ topic: 't', messages: [{ value: 'committed' }] })
      await committed.commit()
      const open = await producer.transaction()
      await open.send({ topic: 't', messages: [{ value: 'open-1' }, { value: 'open-2' }] })
      await kill(first.child)
      await producer.disconnect().catch(() => undefined)

      const second = await serve(dir)
      const after = kafkaFor(second.port)
      const plain = after.producer()
      await plain.connect()
      await plain.send({ topic: 't', messages: [{ value: 'after' }] })
      await plain.disconnect()
      // Until the timeout passes the transaction holds the last stable offset back: nothing after it is readable.
      expect(await readCommitted(after, 'after')).toEqual(['committed', 'after'])
      expect(second.stderr()).toMatch(/crashy: transaction open past \d+ ms, aborting it/)
    }, 60_000)
  }
})
