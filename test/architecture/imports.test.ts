import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The layering of src/, read from the import statements themselves: every import points down the
 * stack below (or stays inside its own folder), no file imports itself back through a chain, and
 * the server reaches seglog only through the public API in src/index.ts.
 */
const SRC = fileURLToPath(new URL('../../src', import.meta.url))

/** Lower ranks are lower layers. Files at the top of src/ other than index.ts sit below everything. */
const LAYER_RANK: Record<string, number> = {
  '': 0, // errors.ts: the error base every layer may use
  types: 0,
  compression: 1,
  record: 2,
  format: 3, // the other on-disk formats (checkpoints, topics.json, snapshots, index entries): pure, over record/
  log: 4,
  producer: 5,
  consumer: 5,
  engine: 6,
  'index.ts': 7,
  server: 8,
  cli: 9,
}

interface ImportEdge {
  from: string
  to: string
  line: number
}

function sourceFiles(dir: string): string[] {
  const files: string[] = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) files.push(...sourceFiles(full))
    else if (entry.name.endsWith('.ts')) files.push(full)
  }
  return files
}

/** Relative imports and re-exports (type-only ones included: a circle of types is still a circle). */
function importsOf(file: string): ImportEdge[] {
  const text = fs.readFileSync(file, 'utf8')
  const edges: ImportEdge[] = []
  const pattern = /^\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const specifier = (match[1] ?? match[2])!
    const target = path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'))
    const line = text.slice(0, match.index).split('\n').length
    edges.push({ from: rel(file), to: rel(target), line })
  }
  return edges
}

function rel(file: string): string {
  return path.relative(SRC, file).split(path.sep).join('/')
}

/** The layer a file belongs to: its top folder, or '' / 'index.ts' at the top of src/. */
function layerOf(relFile: string): string {
  const [first, ...rest] = relFile.split('/')
  if (rest.length === 0) return first === 'index.ts' ? 'index.ts' : ''
  return first!
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'visiting')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next)
      if (seen === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (seen === undefined) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)
  return cycles
}

const files = sourceFiles(SRC)
const edges = files.flatMap(importsOf)

describe('src/ layering', () => {
  it('finds the source files and their imports (the scan itself works)', () => {
    expect(files.length).toBeGreaterThan(20)
    expect(edges.some((edge) => edge.from === 'index.ts' && edge.to.startsWith('engine/'))).toBe(true)
  })

  it('every import resolves to a file in src/', () => {
    const missing = edges.filter((edge) => !fs.existsSync(path.join(SRC, edge.to)))
    expect(missing).toEqual([])
  })

  it('every folder is a known layer', () => {
    const unknown = [...new Set(files.map((file) => layerOf(rel(file))))].filter((layer) => !(layer in LAYER_RANK))
    expect(unknown).toEqual([])
  })

  it('imports point down the layers or stay in their folder', () => {
    const upward = edges
      .filter((edge) => layerOf(edge.from) !== layerOf(edge.to))
      .filter((edge) => LAYER_RANK[layerOf(edge.to)]! >= LAYER_RANK[layerOf(edge.from)]!)
      .map((edge) => `${edge.from}:${edge.line} imports ${edge.to}`)
    expect(upward).toEqual([])
  })

  it('the server uses seglog only through src/index.ts', () => {
    const reachedAround = edges
      .filter((edge) => layerOf(edge.from) === 'server' && layerOf(edge.to) !== 'server' && edge.to !== 'index.ts')
      .map((edge) => `${edge.from}:${edge.line} imports ${edge.to}`)
    expect(reachedAround).toEqual([])
  })

  it('no file imports itself back through a chain of imports', () => {
    const graph = new Map<string, string[]>()
    for (const edge of edges) graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to])
    expect(findCycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([])
  })

  it('the pure layers (compression, record, format) reach no file system', () => {
    const pure = new Set(['compression', 'record', 'format'])
    const withFs = files
      .filter((file) => pure.has(layerOf(rel(file))))
      .filter((file) => /from\s*['"](?:node:)?fs(?:\/promises)?['"]/.test(fs.readFileSync(file, 'utf8')))
      .map(rel)
    expect(withFs).toEqual([])
  })
})
