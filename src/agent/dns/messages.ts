/**
 * DNS wire messages for the embedded resolver, over dns-packet: decoding a query without ever throwing, and
 * encoding the server's own responses (answers, NODATA, SERVFAIL, FORMERR, NOTIMP) with UDP truncation (512 bytes,
 * or the client's EDNS payload size up to 4096; answers are dropped until it fits and TC is set, so the client
 * retries over TCP).
 */
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Question } from 'dns-packet';
import type { DnsRecord } from './zone.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const QR = 0x8000;
const OPCODE_SHIFT = 11;
const MAX_UDP = 4096;

export interface Query {
  id: number;
  flags: number;
  opcode: number;
  questions: Question[];
  /** The client's EDNS UDP payload size, when it sent an OPT record. */
  ednsSize: number | undefined;
}

/** undefined for anything that is not a decodable query (responses included): the server drops those. */
export function decodeQuery(buf: Buffer): Query | undefined {
  if (buf.length < 12 || (buf.readUInt16BE(2) & QR) !== 0) return undefined;
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
  const opt = (packet.additionals ?? []).find((a) => a.type === 'OPT');
  const flags = packet.flags ?? 0;
  return {
    id: packet.id ?? 0,
    flags,
    opcode: (flags >> OPCODE_SHIFT) & 0xf,
    questions: packet.questions ?? [],
    ednsSize: opt !== undefined && opt.type === 'OPT' ? opt.udpPayloadSize : undefined,
  };
}

/** The UDP size limit for a response to this query. */
export function udpLimit(q: Query): number {
  return q.ednsSize === undefined ? 512 : Math.min(Math.max(q.ednsSize, 512), MAX_UDP);
}

/**
 * A response of ours. `limit` (UDP) truncates: answers are dropped from the end until the message fits, and TC is
 * set. Questions are echoed as asked.
 */
export function encodeResponse(q: Query, rcode: number, records: readonly DnsRecord[], opts: { authoritative: boolean; limit?: number }): Buffer {
  let flags = (q.flags & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | (rcode & 0xf);
  if (opts.authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  const additionals: Answer[] =
    q.ednsSize === undefined ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  const build = (answers: readonly DnsRecord[], tc: boolean): Buffer =>
    dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: tc ? flags | dnsPacket.TRUNCATED_RESPONSE : flags,
      questions: q.questions,
      answers: answers as Answer[],
      additionals,
    });
  const full = build(records, false);
  if (opts.limit === undefined || full.length <= opts.limit) return full;
  for (let n = records.length - 1; n >= 0; n--) {
    const cut = build(records.slice(0, n), true);
    if (cut.length <= opts.limit) return cut;
  }
  return build([], true);
}

/** A header-only error response (no question section), for queries dns-packet cannot answer or re-encode. */
export function errorHeader(id: number, queryFlags: number, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(QR | (queryFlags & 0x7800) | (queryFlags & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | (rcode & 0xf), 2);
  return out;
}

/** The rcode of a raw response (for choosing between upstream answers). */
export function rcodeOf(buf: Buffer): number {
  return buf.length < 4 ? RCODE.SERVFAIL : buf.readUInt16BE(2) & 0xf;
}
