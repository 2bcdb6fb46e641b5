import { invalidArgument } from '../api/errors.js';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END \1-----/g;

/** Every PEM block with the given label, decoded to DER, in order. Blocks with other labels are skipped. */
export function decodePemBlocks(pem: string, label: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(BLOCK)) {
    if (m[1] !== label) continue;
    const body = (m[2] ?? '').replace(/\s+/g, '');
    out.push(new Uint8Array(Buffer.from(body, 'base64')));
  }
  return out;
}

/** The first PEM block with the given label, decoded to DER; throws InvalidArgument when there is none. */
export function decodePem(pem: string, label: string, what: string): Uint8Array {
  const first = decodePemBlocks(pem, label)[0];
  if (first === undefined || first.length === 0) {
    throw invalidArgument('ca.invalid_pem', `${what}: no PEM "${label}" block found`);
  }
  return first;
}

/** DER → PEM with 64-character lines and a trailing newline (what Go's pem.Encode and openssl write). */
export function encodePem(der: Uint8Array | ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The first certificate of a PEM bundle, as DER. */
export function certificateDer(pem: string, what = 'certificate'): Uint8Array {
  return decodePem(pem, 'CERTIFICATE', what);
}

/**
 * A bundle that is nothing but CERTIFICATE blocks (and whitespace), as DER in order. Anything else (a key, a
 * `TRUSTED CERTIFICATE` block, stray text) is refused, so what is hashed or checked is exactly what would be trusted.
 */
export function strictCertificateBundle(pem: string, what: string): Uint8Array[] {
  const rest = pem.replace(BLOCK, (block, label: string) => (label === 'CERTIFICATE' ? '' : block));
  if (rest.trim() !== '') {
    throw invalidArgument('ca.invalid_pem', `${what}: only CERTIFICATE PEM blocks are allowed`);
  }
  const ders = decodePemBlocks(pem, 'CERTIFICATE');
  if (ders.length === 0 || ders.some((d) => d.length === 0)) {
    throw invalidArgument('ca.invalid_pem', `${what}: no PEM "CERTIFICATE" block found`);
  }
  return ders;
}
