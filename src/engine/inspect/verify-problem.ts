/** One problem verify found: the file it is in, the byte position when it is at one, and the line that says what is wrong. */
export interface VerifyProblem {
  /** The file (or directory) the problem is in. */
  file: string
  /** Byte position in `file` where the damage is, or null when the problem is not at a byte (a missing file, a checkpoint line). */
  position: number | null
  /** One line naming the file, as `seglog verify` prints it. */
  message: string
}

/**
 * A problem for `file`, its position taken from the message when the message begins with
 * `<file> at byte N` (the form of every byte-level finding: framing, CRC, index entries).
 */
export function locateProblem(file: string, message: string): VerifyProblem {
  const prefix = `${file} at byte `
  if (!message.startsWith(prefix)) return { file, position: null, message }
  const digits = /^\d+/.exec(message.slice(prefix.length))
  return { file, position: digits === null ? null : Number(digits[0]), message }
}
