import { CorruptRecordError } from '../record/errors.js'

/**
 * The same error, its detail extended with the way out for the operator: `seglog repair` sets the
 * damaged bytes of one partition aside (it deletes nothing), after which the directory opens.
 */
export function withRepairHint(error: CorruptRecordError, dataDir: string, topic: string, partition: number): CorruptRecordError {
  // An intact record of a newer format is not damage: setting it aside would lose it.
  if (error.reason === 'unknown-version')
    return new CorruptRecordError(
      error.reason,
      error.position,
      `${error.detail}; the record is intact but of a version this seglog does not read (written by a newer Kafka?)`,
      error.file,
      { cause: error },
    )
  const detail = `${error.detail}; ${topic}-${partition} is damaged: \`seglog repair ${dataDir} --topic ${topic} --partition ${partition}\` sets the damaged records aside (docs/errors.md)`
  return new CorruptRecordError(error.reason, error.position, detail, error.file, { cause: error })
}
