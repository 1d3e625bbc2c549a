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
