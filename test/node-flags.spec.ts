import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { missingNodeFlags, NODE_FLAGS } from '../src/node-flags.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

/** Every launcher starts the app with the same V8 flags (src/node-flags.ts says why). */
describe('Node flags', () => {
  it('npm start, start:prod and start:worker pass them before the script', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts;
    const wanted = `node ${NODE_FLAGS.join(' ')} dist/src/main.js`;
    for (const name of ['start', 'start:prod', 'start:worker']) {
      expect({ name, script: scripts[name] }).toEqual({
        name,
        script: expect.stringContaining(wanted),
      });
    }
  });

  it("the Dockerfile's CMD passes them before the script", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(['node', ...NODE_FLAGS, 'dist/src/main.js']);
  });

  it('names the flags a process lacks', () => {
    expect(missingNodeFlags([...NODE_FLAGS])).toEqual([]);
    expect(missingNodeFlags(['--max-semi-space-size=32'])).toEqual(['--heap-growing-percent=50']);
    expect(missingNodeFlags([])).toEqual([...NODE_FLAGS]);
  });
});
