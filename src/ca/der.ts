import { invalidArgument } from '../api/errors.js';

/** One DER element: its tag, and where its whole encoding and its contents lie in the input. */
interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(der: Uint8Array, at: number): Tlv {
  const tag = der[at];
  let lenByte = der[at + 1];
  if (tag === undefined || lenByte === undefined) throw truncated();
  let contentStart = at + 2;
  let length = lenByte;
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f;
    if (n === 0 || n > 4) throw invalidArgument('ca.invalid_der', 'certificate: unsupported DER length encoding');
    length = 0;
    for (let i = 0; i < n; i++) {
      lenByte = der[contentStart + i];
      if (lenByte === undefined) throw truncated();
      length = length * 256 + lenByte;
    }
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > der.length) throw truncated();
  return { tag, start: at, contentStart, end };
}

const truncated = () => invalidArgument('ca.invalid_der', 'certificate: truncated DER');

/**
 * The raw DER slices of a certificate's issuer, subject and SubjectPublicKeyInfo, exactly as encoded in the
 * certificate (Go's RawIssuer, RawSubject, RawSubjectPublicKeyInfo): no re-encoding, so byte comparisons are exact.
 */
export function certificateRawFields(der: Uint8Array): { issuer: Uint8Array; subject: Uint8Array; spki: Uint8Array } {
  const cert = readTlv(der, 0);
  const tbs = readTlv(der, cert.contentStart);
  if (cert.tag !== 0x30 || tbs.tag !== 0x30) {
    throw invalidArgument('ca.invalid_der', 'certificate: not an X.509 certificate');
  }
  const fields: Tlv[] = [];
  for (let at = tbs.contentStart; at < tbs.end && fields.length < 8; ) {
    const f = readTlv(der, at);
    fields.push(f);
    at = f.end;
  }
  // TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject, spki, ... }
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[offset + 2];
  const subject = fields[offset + 4];
  const spki = fields[offset + 5];
  if (issuer?.tag !== 0x30 || subject?.tag !== 0x30 || spki?.tag !== 0x30) {
    throw invalidArgument('ca.invalid_der', 'certificate: malformed TBSCertificate');
  }
  const slice = (t: Tlv) => der.subarray(t.start, t.end);
  return { issuer: slice(issuer), subject: slice(subject), spki: slice(spki) };
}
