#!/usr/bin/env node
/**
 * Installs what `npm start` and `npm test` need on a fresh clone, saying what
 * it installs; where it cannot, it stops with the exact command to run.
 *   --npm       npm dependencies (npm ci when the lockfile changed)
 *   --apt       the Debian packages the tests use (as root, with apt-get)
 *   --list-apt  print those package names and exit
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Debian packages the test suite uses, each with a file that proves it is installed. */
const APT = [
  { name: 'chromium', proof: '/usr/bin/chromium', why: 'browser tests (playwright-core drives Debian Chromium); its SwiftShader Vulkan driver gives Node a WebGPU adapter' },
  { name: 'libvulkan1', proof: '/usr/lib/x86_64-linux-gnu/libvulkan.so.1', why: 'the Vulkan loader, for WebGPU in Node (the `webgpu` package)' },
  { name: 'dataset-fashion-mnist', proof: '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz', why: 'training tests on real Fashion-MNIST' },
  { name: 'python3-torch', proof: '/usr/bin/torchrun', why: 'the exported PyTorch scripts and the parity harness (run as /usr/bin/python3)' },
  { name: 'python3-pyflakes', proof: '/usr/lib/python3/dist-packages/pyflakes/__init__.py', why: 'lints the exported scripts\' Python and its .py files (pyflakes on /usr/bin/python3)' },
  { name: 'clang-14', proof: '/usr/bin/clang-14', why: 'rebuilds our C wasm kernels: a test checks the committed binary against its source' },
  { name: 'lld-14', proof: '/usr/bin/wasm-ld-14', why: 'links those kernels (wasm-ld)' },
];

const args = new Set(process.argv.slice(2));
if (args.has('--list-apt')) {
  console.log(APT.map((p) => p.name).join(' '));
  process.exit(0);
}
if (args.has('--npm')) ensureNpm();
if (args.has('--apt')) ensureApt();

function ensureNpm() {
  const lock = `${root}/package-lock.json`;
  const stamp = `${root}/node_modules/.siamese-studio-lock`;
  const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  // npm ci empties node_modules first: through a link that is another checkout's install, lost for it too.
  const modules = `${root}/node_modules`;
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    console.error(`siamese-studio: node_modules is a link to ${realpathSync(modules)}, not installed from this package-lock.json (or not marked so); not reinstalling into another folder.`);
    console.error('run npm ci where it points, or remove the link and run this command again');
    process.exit(1);
  }
  console.log('siamese-studio: installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci');
  writeFileSync(stamp, hash);
}

/** Installed per dpkg where there is one, else by its proof file. */
function installed(p) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', p.name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
  } catch {
    return existsSync(p.proof);
  }
}

function ensureApt() {
  const missing = APT.filter((p) => !installed(p));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  const command = `apt-get install -y ${names.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !hasAptGet()) {
    console.error(`siamese-studio: the tests need Debian package(s) ${names.join(', ')}:`);
    for (const p of missing) console.error(`  ${p.name}: ${p.why}`);
    console.error(`run: ${isRoot ? '' : 'sudo '}${command}`);
    process.exit(1);
  }
  console.log(`siamese-studio: installing ${names.join(', ')} for the tests (${command})…`);
  run('apt-get', ['update', '-q'], 'apt-get update');
  run('apt-get', ['install', '-y', '-q', ...names], command, { DEBIAN_FRONTEND: 'noninteractive' });
}

function hasAptGet() {
  try {
    execFileSync('apt-get', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(cmd, cmdArgs, display, env = {}) {
  try {
    execFileSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  } catch {
    console.error(`siamese-studio: \`${display}\` failed; run it yourself, then try again`);
    process.exit(1);
  }
}
