// The package's types in a consumer project: tests/types/consumer.ts compiles under
// `tsc --strict` with `moduleResolution` "bundler" and "node16", importing 'georange' through
// the package's `exports` map (pkg/, made by build.sh, linked as node_modules/georange).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = path.join(root, 'node_modules/.bin/tsc');

for (const [module, resolution] of [['esnext', 'bundler'], ['node16', 'node16']]) {
  test(`the .d.ts compiles in a consumer under --strict, moduleResolution ${resolution}`, () => {
    const dir = path.join(root, `out/types-consumer-${resolution}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(path.join(root, 'pkg'), path.join(dir, 'node_modules/georange'), 'dir');
    fs.copyFileSync(path.join(root, 'tests/types/consumer.ts'), path.join(dir, 'consumer.ts'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'es2022', module, moduleResolution: resolution, lib: ['es2022', 'dom'], skipLibCheck: false },
      files: ['consumer.ts'],
    }));
    let out = '';
    try {
      out = execFileSync(tsc, ['-p', dir], { encoding: 'utf8' });
    } catch (e) {
      out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      assert.fail(`tsc (${resolution}):\n${out}`);
    }
  });
}
