#!/usr/bin/env bash
# keygen.sh PATH
#
# Writes a new Ed25519 private key as PKCS #8 PEM (what -signing-key reads) to
# PATH unless a key is there already. Coreutils only: an Ed25519 PKCS #8 key
# is a fixed 16-byte DER header (RFC 8410) followed by a 32-byte random seed.
set -euo pipefail
path=$1
[[ -s $path ]] && exit 0
mkdir -p "$(dirname "$path")"
umask 077
{
	echo "-----BEGIN PRIVATE KEY-----"
	{ printf '\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20'; head -c 32 /dev/urandom; } | base64 -w 64
	echo "-----END PRIVATE KEY-----"
} >"$path.tmp"
mv "$path.tmp" "$path"
echo "signing key written to $path"
