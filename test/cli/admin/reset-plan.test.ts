import { describe, expect, it } from 'vitest'
import type { PartitionEnds } from '../../../src/cli/admin/backend.js'
import { parseListeners } from '../../../src/cli/admin/live-owner.js'
import { parseDatetime, parseTopicSelection, partitionKey, planReset, type ResetSpec } from '../../../src/cli/admin/reset-plan.js'
import { CliError } from '../../../src/cli/errors.js'

/** The pure steps of the admin commands: where a reset moves each partition, and argument parsing. */

// Partition 0 holds offsets 10..99 (log start 10, end 100); partition 1 is empty at 5.
const ENDS = new Map<string, ReadonlyMap<number, PartitionEnds>>([
  [
    'orders',
    new Map([
      [0, { partition: 0, logStartOffset: 10, logEndOffset: 100 }],
      [1, { partition: 1, logStartOffset: 5, logEndOffset: 5 }],
    ]),
  ],
])
const BOTH = [
  { topic: 'orders', partition: 0 },
  { topic: 'orders', partition: 1 },
]

function plan(spec: ResetSpec, committed: [number, number][] = [], byTime?: [number, number][]): number[] {
  const commits = new Map(committed.map(([partition, offset]) => [partitionKey('orders', partition), offset]))
  const times = byTime === undefined ? undefined : new Map([['orders', new Map(byTime)]])
  return planReset(BOTH, spec, { committed: commits, ends: ENDS, ...(times !== undefined && { byTime: times }) }).map(
    (entry) => entry.offset,
  )
}

describe('planReset', () => {
  it('earliest and latest are the log start and the log end', () => {
    expect(plan({ kind: 'earliest' })).toEqual([10, 5])
    expect(plan({ kind: 'latest' })).toEqual([100, 5])
  })

  it('current keeps a commit and takes the log end where there is none', () => {
    expect(plan({ kind: 'current' }, [[0, 42]])).toEqual([42, 5])
  })

  it('clamps --to-offset and --shift-by into [log start, log end], as Kafka does', () => {
    expect(plan({ kind: 'offset', offset: 3 })).toEqual([10, 5])
    expect(plan({ kind: 'offset', offset: 50 })).toEqual([50, 5])
    expect(plan({ kind: 'offset', offset: 500 })).toEqual([100, 5])
    expect(
      plan({ kind: 'shift', by: -5 }, [
        [0, 42],
        [1, 5],
      ]),
    ).toEqual([37, 5])
    expect(
      plan({ kind: 'shift', by: 1000 }, [
        [0, 42],
        [1, 5],
      ]),
    ).toEqual([100, 5])
    expect(
      plan({ kind: 'shift', by: -1000 }, [
        [0, 42],
        [1, 5],
      ]),
    ).toEqual([10, 5])
  })

  it('refuses to shift a partition without a commit', () => {
    let caught: unknown
    try {
      plan({ kind: 'shift', by: 1 }, [[0, 42]])
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CliError)
    expect((caught as CliError).code).toBe('ADMIN_REQUEST_FAILED')
  })

  it('datetime takes the offset found by time, and the log end where no record is that new', () => {
    expect(
      plan(
        { kind: 'datetime', timestamp: 1 },
        [],
        [
          [0, 60],
          [1, -1],
        ],
      ),
    ).toEqual([60, 5])
    expect(plan({ kind: 'datetime', timestamp: 1 }, [], [])).toEqual([100, 5])
  })

  it('names a partition the topic does not have', () => {
    const inputs = { committed: new Map<string, number>(), ends: ENDS }
    expect(() => planReset([{ topic: 'orders', partition: 7 }], { kind: 'earliest' }, inputs)).toThrow(CliError)
  })
})

describe('parseDatetime', () => {
  it("reads Kafka's format as local time, and with a zone", () => {
    expect(parseDatetime('2024-05-01T12:30:15.250')).toBe(new Date(2024, 4, 1, 12, 30, 15, 250).getTime())
    expect(parseDatetime('2024-05-01T12:30:15.250Z')).toBe(Date.UTC(2024, 4, 1, 12, 30, 15, 250))
    expect(parseDatetime('2024-05-01T12:30:15Z')).toBe(Date.UTC(2024, 4, 1, 12, 30, 15))
    expect(parseDatetime('2024-05-01T12:30:15.250+02:00')).toBe(Date.UTC(2024, 4, 1, 10, 30, 15, 250))
    expect(parseDatetime('2024-05-01T12:30:15.250-0130')).toBe(Date.UTC(2024, 4, 1, 14, 0, 15, 250))
  })

  it('rejects other shapes and days that do not exist', () => {
    for (const text of ['2024-05-01', '2024-05-01 12:30:15', 'yesterday', '2024-02-30T00:00:00.000', '1714560000000'])
      expect(parseDatetime(text), text).toBeNull()
  })
})

describe('parseTopicSelection', () => {
  it('takes a topic, or a topic and some partitions', () => {
    expect(parseTopicSelection('orders')).toEqual({ topic: 'orders', partitions: null })
    expect(parseTopicSelection('orders:2,0,2')).toEqual({ topic: 'orders', partitions: [0, 2] })
    for (const text of ['', ':1', 'orders:', 'orders:a', 'orders:1,,2']) expect(parseTopicSelection(text), text).toBeNull()
  })
})

describe('parseListeners', () => {
  it('finds the listening sockets of the given inodes in /proc/net/tcp and tcp6 text', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:2384 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0',
      '   1: 0100007F:2385 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 9999 1 0 100 0 0 10 0',
      '   2: 0100007F:2384 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 4243 1 0 100 0 0 10 0',
    ].join('\n')
    expect(parseListeners(tcp, new Set(['4242', '4243']))).toEqual(['127.0.0.1:9092'])
    const tcp6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000000000000:2384 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 77 1 0 100 0 0 10 0',
      '   1: 0000000000000000FFFF00000100007F:2385 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 78 1 0 100 0 0 10 0',
    ].join('\n')
    expect(parseListeners(tcp6, new Set(['77', '78']))).toEqual(['[::]:9092', '127.0.0.1:9093'])
  })
})
