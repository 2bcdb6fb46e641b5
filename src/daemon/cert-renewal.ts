/**
 * Node certificate renewal (docs/design/cluster.md "Joining"): once 70 % of the certificate's validity has passed
 * (checked at start and every minute), a new key and CSR go to a manager's `/ca/renew` over mutual TLS with the
 * current certificate. The reply is checked (same node, chains to the root) before `save` stores it; the caller
 * writes the files atomically and uses them for its next connections. A failed attempt is logged and tried again
 * at the next check; `run` ends only when its signal aborts.
 */
import { checkNodeCertificate, createCSR, parseNodeCertificate } from '../ca/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { caPaths, connectRpc, decodeRenewResponse, rpcErrors, type RenewRequest } from '../rpc/index.js';
import type { NodeCertificates } from './local-state.js';

/** The share of a certificate's validity after which it is renewed. */
export const RENEW_AT = 0.7;
/** How often the certificate is looked at. */
export const RENEW_CHECK_MS = 60_000;

export interface CertRenewerOptions {
  /** The certificates in use now. */
  current: () => NodeCertificates;
  /** Managers' swarm addresses to ask, in turn. */
  managers: () => readonly string[];
  /** Stores renewed certificates (files and what the next connections use). */
  save: (certs: NodeCertificates) => void;
  clock: Clock;
  logger: Logger;
  checkEveryMs?: number;
}

/** When a certificate valid from `notBefore` to `notAfter` (ms) is due for renewal. */
export function renewalDue(notBefore: number, notAfter: number): number {
  return notBefore + RENEW_AT * (notAfter - notBefore);
}

export class CertRenewer {
  private readonly log: Logger;

  constructor(private readonly o: CertRenewerOptions) {
    this.log = o.logger.child({ component: 'cert-renewal' });
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.renewIfDue(signal);
      } catch (e) {
        if (signal.aborted) return;
        this.log.warn({ err: e }, 'certificate renewal failed; trying again at the next check');
      }
      try {
        await this.o.clock.sleep(this.o.checkEveryMs ?? RENEW_CHECK_MS, signal);
      } catch {
        return;
      }
    }
  }

  /** Renews the certificate when it is due; true when it did. Throws when a due renewal failed. */
  async renewIfDue(signal?: AbortSignal): Promise<boolean> {
    const certs = this.o.current();
    const identity = parseNodeCertificate(certs.nodeCertPem);
    const due = renewalDue(identity.notBefore, identity.notAfter);
    if (this.o.clock.now() < due) return false;
    this.log.info({ node: identity.nodeId, notAfter: new Date(identity.notAfter).toISOString() }, 'renewing the node certificate');
    const { csrPem, keyPem } = await createCSR();
    let failure: unknown = rpcErrors.unavailable('no manager address to renew the certificate with');
    for (const address of this.o.managers()) {
      const client = connectRpc({ address, tls: { certPem: certs.nodeCertPem, keyPem: certs.nodeKeyPem, caPem: certs.rootCertPem }, logger: this.log });
      try {
        const body: RenewRequest = { csrPem };
        const reply = decodeRenewResponse(await client.call<unknown>(caPaths.renew, body, signal === undefined ? {} : { signal }));
        const check = checkNodeCertificate(reply.certPem, certs.rootCertPem, this.o.clock.now(), { clusterId: identity.clusterId });
        if (!check.ok) throw rpcErrors.badResponse(`the renewed certificate is refused: ${check.message}`);
        if (check.identity.nodeId !== identity.nodeId) throw rpcErrors.badResponse('the renewed certificate names another node');
        this.o.save({ rootCertPem: certs.rootCertPem, nodeCertPem: reply.certPem, nodeKeyPem: keyPem });
        this.log.info({ node: identity.nodeId, notAfter: new Date(check.identity.notAfter).toISOString() }, 'node certificate renewed');
        return true;
      } catch (e) {
        failure = e;
      } finally {
        await client.close();
      }
    }
    throw failure;
  }
}
