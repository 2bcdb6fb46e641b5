/**
 * Golden files for CLI output. `assertGolden(name, text)` compares with test/e2e/golden/<name>.txt; run with
 * UPDATE_GOLDEN=1 to (re)write them, then review the diff like code.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './daemon.js';

const DIR = join(REPO, 'test/e2e/golden');

export function assertGolden(name: string, actual: string): void {
  const file = join(DIR, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing (run with UPDATE_GOLDEN=1 to create it)`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from golden file ${name}.txt`);
}

/** Replaces the values that change from run to run with stable placeholders. */
export function normalize(text: string, known: Record<string, string>): string {
  let out = text;
  // Longest first, so a token is replaced before any ID it may contain.
  for (const [value, placeholder] of Object.entries(known).sort((a, b) => b[0].length - a[0].length)) {
    if (value !== '') out = out.split(value).join(placeholder);
  }
  return out
    .replace(/SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}/g, '<TOKEN>')
    .replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, '<CA CERTIFICATE>')
    .replace(/(Issuer Public Key:\t)\S+/g, '$1<CA PUBLIC KEY>')
    .replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? \+0000 utc/g, '<TIME>');
}
