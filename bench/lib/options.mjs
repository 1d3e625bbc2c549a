// Command-line options of the bench scripts: `--name value` pairs, read where a script needs them.

/** The value after `--name`, or `fallback` when the option is not given. */
export function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at < 0 ? fallback : process.argv[at + 1]
}
