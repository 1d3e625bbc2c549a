/**
 * Exit codes of the `seglog` command. Scripts branch on these, so they never change meaning.
 *
 * | code | meaning                                                                   |
 * |-----:|---------------------------------------------------------------------------|
 * |    0 | everything asked for was done and every check passed                      |
 * |    1 | problems found: corrupt data, a failed check, an unreadable file          |
 * |    2 | usage error: unknown command or option, missing argument, bad value       |
 */
export const EXIT_OK = 0
export const EXIT_PROBLEMS = 1
export const EXIT_USAGE = 2

/**
 * The command line itself is wrong. main.ts prints `seglog: <message>` and a hint to run
 * `seglog <command> --help`, then exits with EXIT_USAGE.
 */
export class UsageError extends Error {
  /** The command whose --help to suggest; undefined for the top level. */
  readonly command: string | undefined

  constructor(message: string, command?: string) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}

/** Codes of the command line's own failures, kept out of the library's ErrorCode. */
export type CliErrorCode =
  'VERIFICATION_FAILED' | 'UNKNOWN_GROUP' | 'UNKNOWN_TOPIC' | 'GROUP_NOT_EMPTY' | 'DIRECTORY_SERVED' | 'ADMIN_REQUEST_FAILED'

/**
 * A command found a failure of its own (not of the data it read): main.ts prints its message as
 * one line and exits with EXIT_PROBLEMS, as for a SeglogError.
 */
export class CliError extends Error {
  readonly code: CliErrorCode

  constructor(code: CliErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = new.target.name
  }
}
