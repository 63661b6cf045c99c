/**
 * Keeps one core busy from another process (`node -e 'for(;;){}'`), so a test can show that what
 * it checks holds on a loaded machine too. `stop()` ends that process (and only it).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'

export interface BusyCore {
  stop(): Promise<void>
}

export function startBusyCore(): BusyCore {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
  }
}
