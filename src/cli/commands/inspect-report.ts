/** The shapes of `seglog inspect --json`: the report inspectDirectory (src/engine/inspect/) returns. */
export type {
  CodecReport,
  DataDirReport,
  GroupReport,
  PartitionDirReport,
  PartitionReport,
  SegmentReport,
  TopicReport,
} from '../../engine/inspect-directory.js'
