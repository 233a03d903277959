import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const README = new URL('../../README.md', import.meta.url);

/** The fenced code block of `lang` in the README whose first line is `firstLine`. */
export function readmeBlock(lang: string, firstLine: string): string {
  const text = readFileSync(README, 'utf8');
  const blocks = [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))];
  const block = blocks.map((m) => m[1]).find((b) => b.startsWith(firstLine));
  if (!block) throw new Error(`README.md has no \`\`\`${lang} block starting "${firstLine}"`);
  return block;
}

export type Verifier = (rawBody: string, header: string, secret: string) => boolean;

/** The README's Node signature check, loaded as it is written there. */
export async function readmeNodeVerifier(): Promise<Verifier> {
  const file = join(mkdtempSync(join(tmpdir(), 'smspanel-readme-')), 'verify.mjs');
  writeFileSync(file, readmeBlock('js', '// Node (no dependencies)'));
  const mod = await import(pathToFileURL(file).href);
  return mod.verifySmspanelSignature;
}
