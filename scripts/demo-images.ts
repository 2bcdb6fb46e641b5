/**
 * Builds the demo's images (from busybox-static, as the tests do: there is no registry to pull from) into one
 * docker-archive tarball and prints its path, for `shoal image load -i`.
 */
import { saveImages } from '../test/fixtures/images/build.js';

const archive = await saveImages(['web', 'misbehave']);
process.stdout.write(`${archive.path}\n`);
