import { formatNumber, formatTable } from './stats.js'
import type { DurabilitySuiteResult } from './durability-suite.js'
import type { LogSuiteResult } from './log-suite.js'

/** The text tables of `seglog bench --suite log` and `--suite durability`. */

export function formatLogSuite(result: LogSuiteResult): string {
  return formatTable(
    ['log layer', 'figure'],
    [
      [
        'records × value bytes (key bytes), per batch',
        `${formatNumber(result.params.records)} × ${result.params.valueBytes} (${result.params.keyBytes}), ${result.params.batchRecords}`,
      ],
      ['plain JS writer records/s (64 KiB writes)', formatNumber(result.plainRecords.write.recordsPerSec)],
      ['plain JS writer MB/s', formatNumber(result.plainRecords.write.mbPerSec, 1)],
      ['plain JS reader records/s', formatNumber(result.plainRecords.read.recordsPerSec)],
      ['append records/s', formatNumber(result.append.recordsPerSec)],
      ['append / plain JS writer % (records/s)', formatNumber(result.append.recordsRatio * 100, 1)],
      ['append MB/s', formatNumber(result.append.mbPerSec, 1)],
      ['page-cache copy MB/s (same bytes)', formatNumber(result.append.plainMbPerSec, 1)],
      ['append / page-cache copy % (MB/s)', formatNumber(result.append.ratio * 100, 1)],
      ['append pre-encoded batches records/s', formatNumber(result.appendEncoded.recordsPerSec)],
      ['append pre-encoded batches MB/s', formatNumber(result.appendEncoded.mbPerSec, 1)],
      ['append pre-encoded / page-cache copy %', formatNumber(result.appendEncoded.ratio * 100, 1)],
      ['read by offset p50 µs', formatNumber(result.readByOffset.p50Us, 1)],
      ['read by offset p99 µs', formatNumber(result.readByOffset.p99Us, 1)],
      ['timestamp lookup p50 µs', formatNumber(result.timestampLookup.p50Us, 1)],
      ['timestamp lookup p99 µs', formatNumber(result.timestampLookup.p99Us, 1)],
      ['sequential decode records/s', formatNumber(result.sequentialDecode.recordsPerSec)],
      ['sequential decode MB/s', formatNumber(result.sequentialDecode.mbPerSec, 1)],
      ['sequential decode / plain JS reader % (records/s)', formatNumber(result.sequentialDecode.recordsRatio * 100, 1)],
      ['batches() + visitor records/s', formatNumber(result.visitorDecode.recordsPerSec)],
      ['batches() + visitor / plain JS reader % (records/s)', formatNumber(result.visitorDecode.recordsRatio * 100, 1)],
      ['segments read', String(result.sequentialDecode.segments)],
    ],
  )
}

export function formatDurabilitySuite(result: DurabilitySuiteResult): string {
  const lines = [
    formatTable(
      ['flush mode', 'appenders', 'appends/s', 'fsyncs/s', 'appends per fsync'],
      result.flush.map((row) => [
        row.mode,
        String(row.appenders),
        formatNumber(row.appendsPerSec),
        formatNumber(row.fsyncsPerSec),
        row.fsyncsPerSec === 0 ? '- (no fsync)' : formatNumber(row.appendsPerFsync, 1),
      ]),
    ),
  ]
  if (result.recovery !== null) {
    lines.push(
      '',
      formatTable(
        ['recovery of an unclean segment', 'figure'],
        [
          ['segment MB', formatNumber(result.recovery.bytes / 1e6, 1)],
          ['seconds', formatNumber(result.recovery.seconds, 2)],
          ['MB/s', formatNumber(result.recovery.mbPerSec, 1)],
          ['CRC-32C MB/s (bound)', formatNumber(result.recovery.crcMbPerSec, 1)],
          ['recovery / CRC rate', formatNumber(result.recovery.mbPerSec / result.recovery.crcMbPerSec, 2)],
        ],
      ),
    )
  }
  return lines.join('\n')
}
