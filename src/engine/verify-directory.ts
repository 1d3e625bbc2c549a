import { InvalidArgumentError } from '../errors.js'
import { classifyDir, describeDirArgument, describeNeitherKind } from './inspect/dir-kind.js'
import { Verifier } from './inspect/verifier.js'
import type { VerifyProblem } from './inspect/verify-problem.js'

export type { VerifyProblem } from './inspect/verify-problem.js'

/** What verifyDirectory (or verifyFiles) found; `problems` empty means everything checks. */
export interface VerifyReport {
  /** Segments (`.log` files) read, with their batches, records and bytes. */
  segments: number
  batches: number
  records: number
  bytes: number
  problems: VerifyProblem[]
  /** Things worth knowing that are not damage: quarantine files, leftovers of interrupted operations. */
  notes: string[]
}

export interface VerifyDirectoryOptions {
  /** Also decode every record of every batch (decompresses; slower). */
  isDeep?: boolean
  /** Called once per problem, as it is found. */
  onProblem?: (problem: VerifyProblem) => void
  /** Called once per note, as it is found. */
  onNote?: (message: string) => void
  /** Called as `.log` files are read, with the bytes of `.log` files read so far in this call. */
  onProgress?: (doneBytes: number) => void
}

/**
 * Checks a data directory (or one partition directory) without the engine: every batch's framing
 * and CRC (with `isDeep` every record), offsets ascending within and across segments, every offset-
 * and time-index entry against its log, the checkpoints against the partitions, topics.json against
 * the partition directories, and producer snapshots. The first damage of a partition says what the
 * engine's next open does with it. Read-only: no lock is taken and nothing is written, so it works
 * on a directory a running engine owns. `seglog verify` prints this report. Throws
 * InvalidArgumentError when `dir` is neither kind of directory.
 */
export async function verifyDirectory(dir: string, options: VerifyDirectoryOptions = {}): Promise<VerifyReport> {
  const unusable = describeDirArgument(dir)
  if (unusable !== null) throw new InvalidArgumentError(unusable)
  const kind = classifyDir(dir)
  if (kind === null) throw new InvalidArgumentError(describeNeitherKind(dir))
  const verifier = newVerifier(options)
  verifier.verifyDirectory(dir, kind)
  return reportOf(verifier)
}

/**
 * Checks files named one by one: a `.log`, `.index` or `.timeindex` file names its segment, which
 * is checked with the segments named beside it (a missing index is then a note, not a problem);
 * `.snapshot` files are checked alone. A file of another kind, or a missing one, is a problem.
 */
export async function verifyFiles(files: readonly string[], options: VerifyDirectoryOptions = {}): Promise<VerifyReport> {
  const verifier = newVerifier(options)
  verifier.verifyFiles(files)
  return reportOf(verifier)
}

function newVerifier(options: VerifyDirectoryOptions): Verifier {
  return new Verifier(
    {
      onProblem: options.onProblem ?? (() => {}),
      onNote: options.onNote ?? (() => {}),
      onProgress: options.onProgress ?? (() => {}),
    },
    options.isDeep ?? false,
  )
}

function reportOf(verifier: Verifier): VerifyReport {
  const { segments, batches, records, bytes, problems, notes } = verifier
  return { segments, batches, records, bytes, problems, notes }
}
