/**
 * The throwaway loopback certificates of `tls/` (see its README): the cluster CA, the API server's
 * certificate, and kubelet certificates that name the node's IP, only its name, someone else, or that
 * no CA signed.
 */
import { readFileSync } from 'fs';
import * as path from 'path';

const dir = path.join(__dirname, 'tls');
const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');

/** `ip`: names 127.0.0.1; `name`: names only EKS-style node names; `wrong`: another host; `selfsigned`: no CA. */
export type KubeletCertificate = 'ip' | 'name' | 'wrong' | 'selfsigned';

export const loopbackTls = {
  /** The cluster CA (PEM): what a pod's `ca.crt` would hold. */
  ca: (): string => read('ca.crt'),
  apiServer: (): { cert: string; key: string } => ({ cert: read('apiserver.crt'), key: read('apiserver.key') }),
  kubelet: (which: KubeletCertificate): { cert: string; key: string } => ({
    cert: read(`kubelet-${which}.crt`),
    key: read(`kubelet-${which}.key`),
  }),
};
