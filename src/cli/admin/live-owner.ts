import fs from 'node:fs'

/**
 * The message for a data directory another process owns. The admin commands then have to go
 * through that process: when it is `seglog serve`, the address it listens on is what the user
 * needs, so it is looked up the way `ss -ltnp` does on Linux (the process's socket inodes in
 * /proc/PID/fd, matched against the listening sockets in /proc/net/tcp and tcp6). Elsewhere, or
 * when the lookup fails, the message says to pass the server's HOST:PORT.
 */
export function describeLiveOwner(dir: string, pid: number | null): string {
  const holder = pid === null ? 'another process' : `process ${pid}`
  if (pid === null || !isSeglogServe(pid))
    return `${dir} is locked by ${holder} (a live seglog engine); stop it first, or if it serves the directory give its HOST:PORT instead of ${dir}`
  const addresses = listeningAddresses(pid)
  const suggestion = addresses.length === 0 ? 'its HOST:PORT' : addresses.join(' or ')
  return `${dir} is served by ${holder} (seglog serve); run the command against the server instead: ${suggestion}`
}

function isSeglogServe(pid: number): boolean {
  try {
    const words = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    return words.includes('serve')
  } catch {
    return false
  }
}

/** `HOST:PORT` of every TCP socket the process listens on; empty when /proc cannot tell. */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>()
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const match = /^socket:\[(\d+)\]$/.exec(readLinkOrEmpty(`/proc/${pid}/fd/${fd}`))
      if (match !== null) inodes.add(match[1]!)
    }
  } catch {
    return []
  }
  const addresses: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch {
      continue
    }
    addresses.push(...parseListeners(text, inodes))
  }
  return addresses
}

/**
 * The listening sockets (state 0A) of /proc/net/tcp text whose inode is in `inodes`, as HOST:PORT.
 * A line reads `sl local_address rem_address st ... inode`, addresses as hex `IP:PORT`, IPv4 in
 * host byte order (little-endian on the machines this runs on).
 */
export function parseListeners(text: string, inodes: ReadonlySet<string>): string[] {
  const found: string[] = []
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 10 || fields[3] !== '0A' || !inodes.has(fields[9]!)) continue
    const [hexHost, hexPort] = fields[1]!.split(':') as [string, string]
    found.push(`${formatHost(hexHost)}:${parseInt(hexPort, 16)}`)
  }
  return found
}

function formatHost(hex: string): string {
  if (hex.length === 8) {
    const bytes = Buffer.from(hex, 'hex').reverse()
    return [...bytes].join('.')
  }
  if (/^0+$/.test(hex)) return '[::]'
  if (hex.startsWith('0000000000000000FFFF0000')) return formatHost(hex.slice(24))
  // IPv6: four 32-bit words, each in host byte order.
  const groups: string[] = []
  for (let word = 0; word < 4; word++) {
    const bytes = Buffer.from(hex.slice(word * 8, word * 8 + 8), 'hex').reverse()
    groups.push(bytes.subarray(0, 2).toString('hex'), bytes.subarray(2, 4).toString('hex'))
  }
  return `[${groups.map((group) => group.replace(/^0+(?=.)/, '')).join(':')}]`
}

function readLinkOrEmpty(file: string): string {
  try {
    return fs.readlinkSync(file)
  } catch {
    return ''
  }
}
