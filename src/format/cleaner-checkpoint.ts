/**
 * DATA/cleaner-offset-checkpoint: per compacted partition, the first offset the cleaner has not
 * mapped yet (Kafka's "first dirty offset"). Kafka's text checkpoint format, the same as the
 * recovery-point checkpoint (src/format/checkpoint.ts parses and writes it):
 *
 * | line | content       | meaning                                      |
 * |-----:|---------------|----------------------------------------------|
 * |    1 | `0`           | version, always 0                            |
 * |    2 | `N`           | number of entries that follow                |
 * |  3.. | `users 0 812` | topic, partition, first dirty offset         |
 *
 * A missing file or entry means "nothing cleaned yet": the next pass maps from the log start.
 * The file is only an optimisation: a lost or stale one makes the next pass redo work, never
 * lose a record.
 */
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint'
