import { InvalidArgumentError } from '../errors.js'
import { classifyDir, describeDirArgument, describeNeitherKind } from './inspect/dir-kind.js'
import { inspectDataDir, inspectPartitionDir, type DataDirReport, type PartitionDirReport } from './inspect/inspect-report.js'

export type {
  CodecReport,
  DataDirReport,
  GroupReport,
  PartitionDirReport,
  PartitionReport,
  SegmentReport,
  TopicReport,
} from './inspect/inspect-report.js'

/** What `inspectDirectory` found: a data directory's report, or a single partition directory's. */
export type InspectReport = DataDirReport | PartitionDirReport

export interface InspectDirectoryOptions {
  /** Decompress compressed batches to measure their compression ratio (reads every record body). */
  isDeep?: boolean
  /** Called once per problem found (a damaged file, a bad checkpoint line), with one line naming the file. */
  onProblem?: (message: string) => void
  /** Called as each `.log` file is read, with the byte position reached in it (restarting at 0 per file). */
  onProgress?: (position: number) => void
}

/**
 * A summary of a data directory (or of one partition directory) read without the engine: topics,
 * partitions with their offsets, time ranges and files, consumer groups and their lag. Read-only:
 * no lock is taken and nothing is written, so it works while an engine owns the directory (its
 * figures are then a moment's view). `seglog inspect` prints this report; `--json` prints it as is.
 * Throws InvalidArgumentError when `dir` is neither kind of directory.
 */
export async function inspectDirectory(dir: string, options: InspectDirectoryOptions = {}): Promise<InspectReport> {
  const unusable = describeDirArgument(dir)
  if (unusable !== null) throw new InvalidArgumentError(unusable)
  const kind = classifyDir(dir)
  if (kind === null) throw new InvalidArgumentError(describeNeitherKind(dir))
  const reportOptions = { isDeep: options.isDeep ?? false, onProblem: options.onProblem ?? (() => {}), onProgress: options.onProgress }
  return kind === 'data' ? inspectDataDir(dir, reportOptions) : inspectPartitionDir(dir, reportOptions)
}
