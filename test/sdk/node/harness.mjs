// The shared harness of the npm SDK tests: each test file runs its own `sluice serve --demo`
// process (the in-process mock provider needs no keys and no network) and drives it only through
// an official SDK's public API, with nothing changed but the SDK's base URL.
//
// The binary comes from $SLUICE_BIN (run.sh builds it once for every file); without it,
// startSluice builds ./cmd/sluice into a temp folder.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');

export const SUITE_TIMEOUT_MS = 180_000; // includes a cold `go build`
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

// startSluice builds the binary if needed, runs `serve --demo` on a free loopback port and
// resolves to { addr, stop } once the "sluice listening" line appears on stderr. stop() sends
// SIGTERM, waits for the exit (escalating to SIGKILL) and removes a binary it built.
export async function startSluice() {
  let bin = process.env.SLUICE_BIN;
  let workDir;
  if (!bin) {
    workDir = await mkdtemp(join(tmpdir(), 'sluice-sdk-node-'));
    bin = join(workDir, 'sluice');
    await promisify(execFile)('go', ['build', '-o', bin, './cmd/sluice'], { cwd: repoRoot });
  }
  const stderrTail = []; // last stderr lines, shown when something fails
  const proc = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = async () => {
    await stopProcess(proc);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  };
  try {
    const addr = await listening(proc, bin, stderrTail);
    return { addr, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function listening(proc, bin, stderrTail) {
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const fail = (msg) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${msg}\nsluice stderr:\n${stderrTail.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`sluice did not log "sluice listening" within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);

    proc.on('error', (err) => fail(`spawn ${bin}: ${err.message}`));
    proc.on('exit', (code, signal) => fail(`sluice exited early (code ${code}, signal ${signal})`));

    // Keep reading stderr for the whole run so the pipe never fills and blocks the server.
    createInterface({ input: proc.stderr }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 50) stderrTail.shift();
      if (settled || !line.includes('msg="sluice listening"')) return;
      const m = /\baddr=(127\.0\.0\.1:\d+)\b/.exec(line);
      if (!m) return fail(`no addr=127.0.0.1:PORT in: ${line}`);
      settled = true;
      clearTimeout(timer);
      resolvePromise(m[1]);
    });
  });
}

// stopProcess sends SIGTERM and waits for the process to exit, escalating to SIGKILL.
async function stopProcess(p) {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((res) => p.once('exit', () => res('exited')));
  let timer;
  const timedOut = new Promise((res) => (timer = setTimeout(res, STOP_TIMEOUT_MS, 'timeout')));
  p.kill('SIGTERM');
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    p.kill('SIGKILL');
    await exited;
    assert.fail(`sluice did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
  }
  assert.ok(p.exitCode !== null || p.signalCode !== null, 'sluice is still running');
}
