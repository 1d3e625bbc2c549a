import { Bench } from 'tinybench'

/**
 * Copying a small buffer into a larger one, the encoder's per-key and per-value work, three ways:
 * a JavaScript byte loop, Uint8Array#set (a V8 builtin) and Buffer#copy (a call into C++). The
 * crossover where the loop stops winning is record.ts's LOOP_COPY_MAX_BYTES.
 */

const SIZES = [4, 8, 16, 32, 64, 128, 512, 4096]
const SOURCES = 64
const TIME_MS = Number(process.env.SEGLOG_BENCH_MS ?? 300)

export async function run(): Promise<void> {
  const target = Buffer.allocUnsafe(1 << 20)
  const bench = new Bench({ time: TIME_MS, warmup: true })
  let sink = 0
  for (const size of SIZES) {
    const sources = Array.from({ length: SOURCES }, (_, slot) => Buffer.alloc(size, slot))
    const limit = target.length - size
    let loopAt = 0
    let setAt = 0
    let copyAt = 0
    bench.add(`${size} B loop`, () => {
      const source = sources[loopAt & (SOURCES - 1)]!
      const position = (loopAt * size) % limit
      for (let at = 0; at < source.length; at++) target[position + at] = source[at]!
      loopAt++
    })
    bench.add(`${size} B set`, () => {
      target.set(sources[setAt & (SOURCES - 1)]!, (setAt * size) % limit)
      setAt++
    })
    bench.add(`${size} B copy`, () => {
      sink += sources[copyAt & (SOURCES - 1)]!.copy(target, (copyAt * size) % limit)
      copyAt++
    })
  }
  await bench.run()
  const rows = bench.tasks.map((task) => ({
    case: task.name,
    'ns/op': task.result.state === 'completed' ? (1e9 / task.result.throughput.mean).toFixed(1) : task.result.state,
  }))
  console.log(`small copies into a 1 MiB buffer (sink ${sink % 10})`)
  console.table(rows)
}
