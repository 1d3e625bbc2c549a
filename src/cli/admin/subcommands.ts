import { UsageError } from '../errors.js'

/**
 * The `seglog <command> <subcommand>` shape of the admin commands (groups, topics): the first word
 * picks the subcommand; `--help` after it prints that subcommand's help.
 */
export function splitSubcommand<T extends string>(
  command: string,
  argv: readonly string[],
  names: readonly T[],
): { subcommand: T; rest: string[] } {
  const [first, ...rest] = argv
  if (first === undefined || first.startsWith('-')) throw new UsageError(`missing subcommand: ${names.join(', ')}`, command)
  if (!(names as readonly string[]).includes(first))
    throw new UsageError(`unknown subcommand '${first}' (expected ${names.join(', ')})`, command)
  return { subcommand: first as T, rest }
}

/** The help to print for `seglog <command> [<subcommand>] --help`. */
export function subcommandHelp(argv: readonly string[], helps: Readonly<Record<string, string>>, overall: string): string {
  const first = argv[0]
  return first !== undefined && Object.hasOwn(helps, first) ? helps[first]! : overall
}
