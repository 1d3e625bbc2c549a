/**
 * One `seglog <name>` command. main.ts keeps the table of commands and does the dispatch: it answers
 * `seglog <name> --help` and `seglog help <name>` with `help`, lists `summary` in `seglog --help`,
 * and otherwise calls `run` with the words after the command name.
 *
 * `run` resolves to an exit code (see errors.ts: EXIT_OK, EXIT_PROBLEMS). It throws UsageError for
 * a bad command line; any SeglogError that escapes becomes one `seglog: <message>` line and exit 1.
 * It must flush its Output before resolving.
 */
export interface Command {
  readonly name: string
  /** One line for the command list in `seglog --help`. */
  readonly summary: string
  /** The whole --help text: usage line, description, options, examples (see args.ts formatHelp). */
  readonly help: string
  /** The help for `seglog <name> <words> --help` when it depends on the words (a subcommand's own help). */
  readonly helpFor?: (argv: readonly string[]) => string
  run(argv: readonly string[]): Promise<number>
}
