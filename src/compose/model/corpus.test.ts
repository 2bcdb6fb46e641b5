/**
 * The compose corpora (test/fixtures/compose): every `good/<case>` loads to its `expected.json` (the normalized
 * project) and every `bad/<case>` fails with exactly `expected-error.txt`. A case directory holds
 * `docker-compose.yml`, optionally `docker-compose.override.yml` (loaded second, as compose does by default),
 * `.env`, env files, extends files, and `input.json` ({ files?, env?, projectName? }). The project directory is the
 * virtual `/project/<case>` so expectations do not depend on the checkout path. UPDATE_GOLDEN=1 rewrites the
 * expectations.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isShoalError } from '../../api/errors.js';
import { loadProject } from './load.js';
import type { LoadInput } from './types.js';

const root = fileURLToPath(new URL('../../../test/fixtures/compose/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

interface CaseInput {
  files?: string[];
  env?: Record<string, string>;
  projectName?: string;
}

function inputFor(dir: string, name: string): LoadInput {
  const virtual = `/project/${name}`;
  const extra: CaseInput = existsSync(join(dir, 'input.json')) ? (JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')) as CaseInput) : {};
  const names = extra.files ?? ['docker-compose.yml', ...(existsSync(join(dir, 'docker-compose.override.yml')) ? ['docker-compose.override.yml'] : [])];
  const input: LoadInput = {
    files: names.map((f) => ({ path: f, content: readFileSync(join(dir, f), 'utf8') })),
    workingDir: virtual,
    env: extra.env ?? {},
    readFile: (p) => {
      if (!p.startsWith(`${virtual}/`)) return undefined;
      const real = join(dir, p.slice(virtual.length + 1));
      return existsSync(real) ? readFileSync(real, 'utf8') : undefined;
    },
  };
  if (extra.projectName !== undefined) input.projectName = extra.projectName;
  return input;
}

function cases(kind: 'good' | 'bad'): string[] {
  return readdirSync(join(root, kind)).sort();
}

describe('compose corpus: good files load to their normalized project', () => {
  it('has cases', () => assert.ok(cases('good').length >= 6));
  for (const name of cases('good')) {
    it(name, () => {
      const dir = join(root, 'good', name);
      const project = JSON.parse(JSON.stringify(loadProject(inputFor(dir, name)))) as unknown;
      const file = join(dir, 'expected.json');
      if (update) writeFileSync(file, JSON.stringify(project, null, 2) + '\n');
      assert.deepEqual(project, JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});

describe('compose corpus: bad files fail with their located message', () => {
  it('has cases', () => assert.ok(cases('bad').length >= 10));
  for (const name of cases('bad')) {
    it(name, () => {
      const dir = join(root, 'bad', name);
      let message: string | undefined;
      try {
        loadProject(inputFor(dir, name));
      } catch (e) {
        assert.ok(isShoalError(e, 'InvalidArgument'), `not an InvalidArgument ShoalError: ${String(e)}`);
        assert.equal(e.code, 'compose.invalid');
        message = e.message;
      }
      assert.ok(message !== undefined, 'loaded without error');
      const file = join(dir, 'expected-error.txt');
      if (update) writeFileSync(file, message + '\n');
      assert.equal(message, readFileSync(file, 'utf8').trimEnd());
    });
  }
});
