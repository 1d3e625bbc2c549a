import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { SeglogError } from '../../src/errors.js'
import { LogLockedError } from '../../src/engine/dir-lock.js'
import { CLEAN_SHUTDOWN_FILE, LogEngine, TOPICS_FILE } from '../../src/engine/log-engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine, type EngineOptions } from '../helpers/engine.js'
import { REPO_ROOT } from '../helpers/paths.js'
import { rejection } from '../helpers/errors.js'

const opened: LogEngine[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()))
  await removeTmpDirs()
})

/** Opens an engine that afterEach closes; fsync per append is off (these tests are not about it). */
async function openEngine(dir: string, options: EngineOptions = {}): Promise<LogEngine> {
  const engine = await openQuietEngine(dir, options)
  opened.push(engine)
  return engine
}

async function closeEngine(engine: LogEngine): Promise<void> {
  opened.splice(opened.indexOf(engine), 1)
  await engine.close()
}

function thrown(call: () => unknown): SeglogError {
  try {
    call()
  } catch (error) {
    expect(error).toBeInstanceOf(SeglogError)
    return error as SeglogError
  }
  throw new Error('expected a throw')
}

/** The topics a user created (the engine may keep internal ones, such as its offsets topic). */
function userTopics(engine: LogEngine): ReturnType<LogEngine['listTopics']> {
  return engine.listTopics().filter((topic) => (topic as { internal?: boolean }).internal !== true)
}

/** Every path under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort()
}

describe('LogEngine topics', () => {
  it('creates, lists, hands out and deletes topics with their partition directories', async () => {
    const dir = await makeTmpDir()
    const engine = await openEngine(dir)
    const created = await engine.createTopic('orders', { partitions: 3, segmentBytes: 4096 })
    expect(created).toMatchObject({ name: 'orders', partitions: 3, config: { partitions: 3, segmentBytes: 4096 } })
    for (const partition of [0, 1, 2]) {
      expect(fs.readdirSync(path.join(dir, `orders-${partition}`))).toEqual(expect.arrayContaining(['00000000000000000000.log']))
      const log = engine.partition('orders', partition)
      expect([log.topic, log.partition, log.logEndOffset]).toEqual(['orders', partition, 0])
    }
    await engine.createTopic('audit')
    expect(userTopics(engine).map((topic) => [topic.name, topic.partitions])).toEqual([
      ['orders', 3],
      ['audit', 1],
    ])
    expect(engine.partitions('orders')).toHaveLength(3)
    expect(thrown(() => engine.partition('orders', 3))).toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      topic: 'orders',
      partition: 3,
      isDeleted: false,
    })
    expect(thrown(() => engine.partition('orders', -1)).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => engine.partition('nope', 0))).toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      topic: 'nope',
      partition: null,
      isDeleted: false,
    })
    expect((await rejection(engine.createTopic('orders'))).code).toBe('INVALID_ARGUMENT')

    const doomed = engine.partition('orders', 1)
    await doomed.appendRecords([{ value: Buffer.from('x'), timestamp: 1 }])
    await engine.deleteTopic('orders')
    expect(userTopics(engine).map((topic) => topic.name)).toEqual(['audit'])
    expect(engine.hasTopic('orders')).toBe(false)
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('orders'))).toEqual([])
    const stored = Object.keys(JSON.parse(fs.readFileSync(path.join(dir, TOPICS_FILE), 'utf8')).topics)
    expect(stored).toContain('audit')
    expect(stored).not.toContain('orders')
    expect((await rejection(doomed.appendRecords([{ value: Buffer.from('y') }]))).code).toBe('LOG_CLOSED')
    expect(await rejection(engine.deleteTopic('orders'))).toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      topic: 'orders',
      isDeleted: true,
    })
    expect(thrown(() => engine.partitions('orders'))).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', isDeleted: true })

    // A deleted name can be created again, empty.
    await engine.createTopic('orders')
    expect(engine.partition('orders', 0).logEndOffset).toBe(0)
  })

  it('persists topic configs and data across a reopen, and engine defaults do not override them', async () => {
    const dir = await makeTmpDir()
    let engine = await openEngine(dir, { topicDefaults: { indexIntervalBytes: 64 } })
    await engine.createTopic('metrics', { partitions: 2, segmentBytes: 2_048, segmentMs: 60_000 })
    const config = engine.topicConfig('metrics')
    expect(config).toMatchObject({ partitions: 2, segmentBytes: 2_048, segmentMs: 60_000, indexIntervalBytes: 64 })
    const log = engine.partition('metrics', 1)
    for (let serial = 0; serial < 40; serial++)
      await log.appendRecords([{ key: Buffer.from(`k${serial}`), value: Buffer.alloc(100, serial), timestamp: 10_000 + serial }])
    const segments = log.segmentCount
    expect(segments).toBeGreaterThan(2)
    await closeEngine(engine)
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true)

    engine = await openEngine(dir, { topicDefaults: { segmentBytes: 1_000_000, indexIntervalBytes: 4_096 } })
    expect(engine.wasCleanShutdown).toBe(true)
    expect(engine.topicConfig('metrics')).toEqual(config)
    const reopened = engine.partition('metrics', 1)
    expect(reopened.logEndOffset).toBe(40)
    expect(reopened.segmentCount).toBe(segments)
    const values: number[] = []
    for await (const record of reopened.records({ from: 0 })) values.push(record.value![0]!)
    expect(values).toEqual(Array.from({ length: 40 }, (_, serial) => serial))
    expect(await reopened.offsetForTimestamp(10_017)).toEqual({ offset: 17, timestamp: 10_017 })
    // The persisted segmentBytes still decides rolls.
    for (let serial = 40; serial < 60; serial++) await reopened.appendRecords([{ value: Buffer.alloc(100), timestamp: 10_000 + serial }])
    expect(reopened.segmentCount).toBeGreaterThan(segments)
    expect(engine.partition('metrics', 0).logEndOffset).toBe(0)
  })

  it('recovers (unclean open) when the clean-shutdown marker is missing, with identical answers', async () => {
    const dir = await makeTmpDir()
    let engine = await openEngine(dir)
    await engine.createTopic('events', { segmentBytes: 1_500, indexIntervalBytes: 200 })
    const timestamps = [500, 100, 900, 900, 300, 1_200, 50, 1_100, 700, 1_300, 1_250, 20]
    for (const [serial, timestamp] of timestamps.entries()) {
      await engine.partition('events', 0).appendRecords([{ value: Buffer.alloc(200, serial), timestamp }])
    }
    const probes = [0, 60, 150, 500, 901, 1_150, 1_260, 1_300, 1_301, -3]
    const answers = async (current: LogEngine): Promise<unknown[]> =>
      Promise.all(probes.map((probe) => current.partition('events', 0).offsetForTimestamp(probe)))
    const expected = await answers(engine)
    expect(expected.slice(0, 5)).toEqual([
      { offset: 0, timestamp: 500 },
      { offset: 0, timestamp: 500 },
      { offset: 0, timestamp: 500 },
      { offset: 0, timestamp: 500 },
      { offset: 5, timestamp: 1_200 },
    ])
    await closeEngine(engine)
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE))
    engine = await openEngine(dir)
    expect(engine.wasCleanShutdown).toBe(false)
    expect(engine.partition('events', 0).logEndOffset).toBe(timestamps.length)
    expect(await answers(engine)).toEqual(expected)
    await closeEngine(engine)
    engine = await openEngine(dir)
    expect(engine.wasCleanShutdown).toBe(true)
    expect(await answers(engine)).toEqual(expected)
  })

  it('rejects invalid topic names with INVALID_ARGUMENT and creates nothing, inside or outside the dir', async () => {
    const root = await makeTmpDir()
    const dir = path.join(root, 'data')
    const engine = await openEngine(dir)
    const rootBefore = tree(root)
    for (const name of ['', '.', '..', 'a/b', '../x', '../../escape', 'x'.repeat(250), 'spaces no', 'tab\there', 'a\\b', 'nul\0x', 'ünï']) {
      const error = await rejection(engine.createTopic(name))
      expect(error.code, JSON.stringify(name)).toBe('INVALID_ARGUMENT')
    }
    expect((await rejection(engine.createTopic(42 as unknown as string))).code).toBe('INVALID_ARGUMENT')
    expect(tree(root)).toEqual(rootBefore)
    expect(userTopics(engine)).toEqual([])
    // The longest legal name (249 characters) works.
    await engine.createTopic('x'.repeat(249))
    expect(fs.existsSync(path.join(dir, `${'x'.repeat(249)}-0`))).toBe(true)
  })

  it('rejects unknown and out-of-range settings without creating the topic', async () => {
    const dir = await makeTmpDir()
    const engine = await openEngine(dir)
    const bad: Record<string, unknown>[] = [
      { bogus: 1 },
      { segment_bytes: 1_000 },
      { segmentBytes: 0 },
      { segmentBytes: 1.5 },
      { partitions: 0 },
      { indexIntervalBytes: -1 },
      { segmentMs: '100' },
    ]
    for (const config of bad) {
      const error = await rejection(engine.createTopic('t', config as never))
      expect(error.code, JSON.stringify(config)).toBe('INVALID_ARGUMENT')
    }
    expect(userTopics(engine)).toEqual([])
    expect(fs.existsSync(path.join(dir, 't-0'))).toBe(false)
    expect((await rejection(LogEngine.open({ dir: await makeTmpDir(), topicDefaults: { bogus: 1 } as never }))).code).toBe(
      'INVALID_ARGUMENT',
    )
  })
})

describe('LogEngine directory lock', () => {
  it('refuses a second engine on the same dir in the same process until the first closes', async () => {
    const dir = await makeTmpDir()
    const first = await openEngine(dir)
    for (const spelling of [dir, `${dir}/`, path.join(dir, '..', path.basename(dir))]) {
      const error = await rejection(LogEngine.open({ dir: spelling }))
      expect(error).toBeInstanceOf(LogLockedError)
      expect(error).toMatchObject({ code: 'LOG_LOCKED', pid: process.pid })
    }
    await closeEngine(first)
    const second = await openEngine(dir)
    expect(second.wasCleanShutdown).toBe(true)
  })

  /**
   * The child imports the engine from the build (dist/, made by `npm run build` before tests) or,
   * without one, from the sources through tsx. It prints one JSON line per state.
   */
  const CHILD_SCRIPT = `
const candidates = JSON.parse(process.env.SEGLOG_ENGINE_MODULES)
let LogEngine
for (const candidate of candidates) {
  try {
    LogEngine = (await import(candidate)).LogEngine
    if (typeof LogEngine === 'function') break
  } catch {}
}
const [mode, dir] = process.argv.slice(2)
try {
  const engine = await LogEngine.open({ dir, onWarning: () => {} })
  if (mode === 'probe') {
    console.log(JSON.stringify({ opened: true }))
    await engine.close()
  } else {
    if (!engine.hasTopic('held')) await engine.createTopic('held')
    await engine.partition('held', 0).appendRecords([{ value: Buffer.from('from the child'), timestamp: 42 }])
    await engine.flush()
    console.log(JSON.stringify({ ready: true }))
    setInterval(() => {}, 60_000)
  }
} catch (error) {
  console.log(JSON.stringify({ code: error?.code ?? null, pid: error?.pid ?? null, message: String(error?.message ?? error) }))
}
`

  interface Child {
    pid: number
    lines: AsyncIterator<Record<string, unknown>>
    kill(signal: NodeJS.Signals): void
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  }

  async function startChild(mode: 'probe' | 'hold', dir: string, scriptDir: string): Promise<Child> {
    const script = path.join(scriptDir, 'engine-child.mjs')
    fs.writeFileSync(script, CHILD_SCRIPT)
    const modules = [
      path.join(REPO_ROOT, 'dist/index.js'),
      path.join(REPO_ROOT, 'dist/engine/log-engine.js'),
      path.join(REPO_ROOT, 'src/engine/log-engine.ts'),
    ]
      .filter((file) => fs.existsSync(file))
      .map((file) => pathToFileURL(file).href)
    const child = spawn(process.execPath, ['--import', 'tsx', script, mode, dir], {
      cwd: REPO_ROOT,
      env: { ...process.env, SEGLOG_ENGINE_MODULES: JSON.stringify(modules) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    )
    const queue: Record<string, unknown>[] = []
    const waiting: ((line: Record<string, unknown>) => void)[] = []
    let buffered = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>
        buffered = buffered.slice(newline + 1)
        const waiter = waiting.shift()
        if (waiter) waiter(line)
        else queue.push(line)
      }
    })
    const lines: AsyncIterator<Record<string, unknown>> = {
      next: () => {
        const line = queue.shift()
        if (line !== undefined) return Promise.resolve({ done: false, value: line })
        return Promise.race([
          new Promise<IteratorResult<Record<string, unknown>>>((resolve) => waiting.push((value) => resolve({ done: false, value }))),
          exited.then((status) => {
            throw new Error(`child exited (${JSON.stringify(status)}) without output; stderr: ${stderr}`)
          }),
        ])
      },
    }
    return { pid: child.pid!, lines, kill: (signal) => child.kill(signal), exited }
  }

  it("makes another process fail with LOG_LOCKED naming the holder's pid, and frees the lock when the holder is SIGKILLed", async () => {
    const dir = await makeTmpDir()
    const scriptDir = await makeTmpDir()

    // This process holds the dir: a child cannot open it, and learns who holds it.
    const engine = await openEngine(dir)
    const probe = await startChild('probe', dir, scriptDir)
    expect((await probe.lines.next()).value).toMatchObject({ code: 'LOG_LOCKED', pid: process.pid })
    await probe.exited
    await closeEngine(engine)

    // A child holds the dir: this process cannot open it, until the child is killed.
    const holder = await startChild('hold', dir, scriptDir)
    expect((await holder.lines.next()).value).toEqual({ ready: true })
    const error = await rejection(LogEngine.open({ dir }))
    expect(error).toBeInstanceOf(LogLockedError)
    expect(error).toMatchObject({ code: 'LOG_LOCKED', dir: path.resolve(dir), pid: holder.pid })
    holder.kill('SIGKILL')
    expect(await holder.exited).toEqual({ code: null, signal: 'SIGKILL' })

    const after = await openEngine(dir)
    expect(after.wasCleanShutdown).toBe(false)
    const records = []
    for await (const record of after.partition('held', 0).records({ from: 0 }))
      records.push([record.offset, record.value!.toString(), record.timestamp])
    expect(records).toEqual([[0, 'from the child', 42]])
  })
})
