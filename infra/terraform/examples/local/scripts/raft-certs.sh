#!/usr/bin/env bash
# raft-certs.sh DIR ID...
#
# Issues what raft mutual TLS needs for a local cluster, unless DIR has it
# already: a throwaway CA (DIR/ca.crt, its key DIR/ca.key) and, per voter
# id, DIR/<id>.crt and DIR/<id>.key signed by it, each naming the DNS name
# veltrix-raft (what every coordinator checks its peers for) with the
# serverAuth and clientAuth usages. Examples only: a real cluster's CA key
# never sits next to the certificates.
set -euo pipefail
dir=$1
shift
mkdir -p "$dir"
umask 077
if [[ ! -s $dir/ca.crt ]]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=veltrix local raft CA" -keyout "$dir/ca.key" -out "$dir/ca.crt.tmp" 2>/dev/null
	mv "$dir/ca.crt.tmp" "$dir/ca.crt"
fi
ext=$dir/leaf.ext
printf '%s\n' "subjectAltName=DNS:veltrix-raft" "extendedKeyUsage=serverAuth,clientAuth" \
	"keyUsage=critical,digitalSignature" "basicConstraints=critical,CA:FALSE" >"$ext"
for id in "$@"; do
	[[ -s $dir/$id.crt ]] && continue
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$id" \
		-keyout "$dir/$id.key" -out "$dir/$id.csr" 2>/dev/null
	openssl x509 -req -in "$dir/$id.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
		-days 30 -extfile "$ext" -out "$dir/$id.crt.tmp" 2>/dev/null
	mv "$dir/$id.crt.tmp" "$dir/$id.crt"
	rm -f "$dir/$id.csr"
done
rm -f "$ext"
echo "raft certificates for $* in $dir"
