import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, REPO_ROOT, runCli } from '../helpers/cli.js'

/**
 * docs/cli.md against the command itself: its command table lists exactly the commands
 * `seglog --help` lists (main.ts's table of commands, so a new command is noticed without
 * touching this test), each with a section of its own, and it names the Node.js version
 * package.json requires.
 */

beforeAll(assertCliBuilt)

const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'cli.md'), 'utf8')

/** The command names of `seglog --help`: the lines under `Commands:` up to the blank line. */
async function commandsOfTheCli(): Promise<string[]> {
  const result = await runCli(['--help'])
  expect(result.code).toBe(0)
  const lines = result.stdout.split('\n')
  const start = lines.indexOf('Commands:')
  expect(start).toBeGreaterThan(0)
  const names: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break
    names.push(line.trim().split(/\s+/)[0]!)
  }
  return names
}

/** The rows of the doc's first table whose header starts with `| command |`: name and link target. */
function commandTableOfTheDoc(): { name: string; anchor: string }[] {
  const lines = doc.split('\n')
  const header = lines.findIndex((line) => /^\| command \|/.test(line))
  expect(header).toBeGreaterThan(0)
  const rows: { name: string; anchor: string }[] = []
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break
    const match = /^\| \[`([a-z-]+)`\]\(#([a-z0-9-]+)\) \|/.exec(line)
    expect(match, line).not.toBeNull()
    rows.push({ name: match![1]!, anchor: match![2]! })
  }
  return rows
}

/** GitHub's anchor for a heading: lower case, punctuation but '-' dropped, spaces to '-'. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-')
}

describe('docs/cli.md', () => {
  it('documents every command of the CLI in its command table, and no command that does not exist', async () => {
    const commands = await commandsOfTheCli()
    expect(commands.length).toBeGreaterThan(0)
    const documented = commandTableOfTheDoc().map((row) => row.name)
    expect([...documented].sort()).toEqual([...commands].sort())
    expect(new Set(documented).size).toBe(documented.length)
  })

  it('gives every command in the table a section the table links to', () => {
    const anchors = new Set(
      doc
        .split('\n')
        .filter((line) => line.startsWith('## '))
        .map((line) => anchorOf(line.slice(3))),
    )
    for (const { name, anchor } of commandTableOfTheDoc()) {
      expect(anchor, name).toBe(`seglog-${name}`)
      expect(anchors.has(anchor), `a '## \`seglog ${name}\`' section`).toBe(true)
    }
  })

  it('names the Node.js version package.json requires', () => {
    const { engines } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
    const minimum = /^>=\s*([\d.]+)$/.exec(engines.node)?.[1]
    expect(minimum, engines.node).toBeDefined()
    expect(doc.replace(/\s+/g, ' ')).toContain(`Node.js ${minimum} or later`)
  })
})
