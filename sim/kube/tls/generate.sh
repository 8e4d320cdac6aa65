#!/usr/bin/env bash
# Regenerates the throwaway loopback certificates of the simulated cluster (see README.md).
# Run from this folder: ./generate.sh   (needs openssl; the CA key is deleted at the end on purpose)
set -euo pipefail
cd "$(dirname "$0")"
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days 36500 -subj "/CN=vigil-sim-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
mk() { # name, common name, subjectAltName, [self]
  local name=$1 cn=$2 san=$3 signer=${4:-ca}
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr"
  printf "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n" "$san" > "$name.ext"
  if [ "$signer" = self ]; then
    openssl x509 -req -in "$name.csr" -signkey "$name.key" -days 36500 -sha256 -extfile "$name.ext" -out "$name.crt"
  else
    openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 36500 -sha256 -extfile "$name.ext" -out "$name.crt"
  fi
  rm "$name.csr" "$name.ext"
}
mk apiserver kube-apiserver "IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc"
mk kubelet-ip "system:node:sim" "IP:127.0.0.1"
mk kubelet-name "system:node:sim" "DNS:*.eu-west-1.compute.internal,DNS:*.ec2.internal"
mk kubelet-wrong "system:node:sim" "DNS:kubelet.example.com"
mk kubelet-selfsigned "system:node:sim" "IP:127.0.0.1,DNS:*.eu-west-1.compute.internal" self
rm -f ca.key ca.srl
chmod 644 ./*.key
