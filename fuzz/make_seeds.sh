#!/usr/bin/env bash
# Makes the fuzz targets' seed corpora in fuzz/corpus/<target>/ with the openssl CLI (and,
# for the TLS targets, fuzz_tls_transcripts from the `fuzz` build). Small: each seed is a
# few hundred bytes to a few kB, so they are committed; rerun to refresh them.
#
#   fuzz/make_seeds.sh [BUILD_DIR]   (default build/fuzz)
set -euo pipefail
cd "$(dirname "$0")"
build=${1:-../build/fuzz}
out=corpus
rm -rf "$out"
for target in load_certificate load_privatekey load_privatekey_passphrase load_publickey \
    load_certificate_request load_pkcs12 load_pkcs7_data netscape_spki load_crl tls_server tls_client; do
  mkdir -p "$out/$target"
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ossl() { openssl "$@" 2>/dev/null; }

# Keys: RSA 1024 (small), EC P-256, Ed25519, DSA 1024; PEM and DER, plain and encrypted.
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$work/rsa.pem"
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ec.pem"
ossl genpkey -algorithm ED25519 -out "$work/ed25519.pem"
ossl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:1024 -out "$work/dsaparam.pem"
ossl genpkey -paramfile "$work/dsaparam.pem" -out "$work/dsa.pem"
for key in rsa ec ed25519 dsa; do
  cp "$work/$key.pem" "$out/load_privatekey/$key.pem"
  ossl pkey -in "$work/$key.pem" -outform DER -out "$out/load_privatekey/$key.der"
  ossl pkey -in "$work/$key.pem" -traditional -out "$out/load_privatekey/$key.traditional.pem" || true
  ossl pkey -in "$work/$key.pem" -pubout -out "$out/load_publickey/$key.pem"
  ossl pkey -in "$work/$key.pem" -pubout -outform DER -out "$out/load_publickey/$key.der"
  ossl pkcs8 -topk8 -in "$work/$key.pem" -v2 aes-128-cbc -passout pass:fuzz-secret \
    -out "$out/load_privatekey_passphrase/$key.pkcs8.pem"
  ossl pkcs8 -topk8 -in "$work/$key.pem" -v2 aes-128-cbc -passout pass:fuzz-secret -outform DER \
    -out "$out/load_privatekey_passphrase/$key.pkcs8.der"
done
ossl pkey -in "$work/rsa.pem" -traditional -aes128 -passout pass:fuzz-secret \
  -out "$out/load_privatekey_passphrase/rsa.traditional.pem"

# Certificates: self-signed with extensions, a CA and a leaf it issued, a v1 certificate.
ossl req -x509 -key "$work/ec.pem" -subj "/C=DE/O=pyossl fuzz/CN=ca" -days 30 -out "$work/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=keyCertSign,cRLSign"
ossl req -new -key "$work/rsa.pem" -subj "/CN=leaf/emailAddress=leaf@example.org" \
  -addext "subjectAltName=DNS:leaf.example,IP:127.0.0.1,email:leaf@example.org" -out "$work/leaf.csr"
ossl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ec.pem" -days 30 -copy_extensions copy \
  -extfile <(printf 'authorityKeyIdentifier=keyid\ncrlDistributionPoints=URI:http://example.org/ca.crl\n') \
  -out "$work/leaf.pem"
ossl req -x509 -key "$work/ed25519.pem" -subj "/CN=ed25519" -days 1 -out "$work/ed.pem"
ossl x509 -req -in "$work/leaf.csr" -signkey "$work/rsa.pem" -days 1 -out "$work/v1.pem"
for cert in ca leaf ed v1; do
  cp "$work/$cert.pem" "$out/load_certificate/$cert.pem"
  ossl x509 -in "$work/$cert.pem" -outform DER -out "$out/load_certificate/$cert.der"
done

# Requests.
cp "$work/leaf.csr" "$out/load_certificate_request/leaf.pem"
ossl req -in "$work/leaf.csr" -outform DER -out "$out/load_certificate_request/leaf.der"
ossl req -new -key "$work/ec.pem" -subj "/CN=ec/O=fuzz" -addext "keyUsage=digitalSignature" \
  -outform DER -out "$out/load_certificate_request/ec.der"

# PKCS#12: no passphrase, "fuzz-secret" (AES), legacy algorithms, certificates only.
ossl pkcs12 -export -in "$work/leaf.pem" -inkey "$work/rsa.pem" -certfile "$work/ca.pem" -name leaf \
  -passout pass: -out "$out/load_pkcs12/empty_passphrase.p12"
ossl pkcs12 -export -in "$work/leaf.pem" -inkey "$work/rsa.pem" -passout pass:fuzz-secret \
  -out "$out/load_pkcs12/aes.p12"
ossl pkcs12 -export -legacy -in "$work/ca.pem" -inkey "$work/ec.pem" -passout pass:fuzz-secret \
  -out "$out/load_pkcs12/legacy.p12" || true
ossl pkcs12 -export -nokeys -in "$work/ca.pem" -passout pass:fuzz-secret -out "$out/load_pkcs12/nokeys.p12"

# PKCS#7: a certificate bundle with a CRL, signed and enveloped S/MIME (DER, BER with
# indefinite lengths, PEM, CMS).
printf 'hello fuzz\n' > "$work/message.txt"
ossl crl2pkcs7 -nocrl -certfile "$work/leaf.pem" -certfile "$work/ca.pem" -out "$out/load_pkcs7_data/bundle.pem"
ossl crl2pkcs7 -nocrl -certfile "$work/leaf.pem" -outform DER -out "$out/load_pkcs7_data/bundle.der"
ossl smime -sign -in "$work/message.txt" -signer "$work/leaf.pem" -inkey "$work/rsa.pem" -outform DER \
  -out "$out/load_pkcs7_data/signed.der"
ossl cms -sign -in "$work/message.txt" -signer "$work/ca.pem" -inkey "$work/ec.pem" -outform DER -indef \
  -out "$out/load_pkcs7_data/signed_indefinite.der"
ossl cms -sign -in "$work/message.txt" -signer "$work/ca.pem" -inkey "$work/ec.pem" -outform PEM \
  -out "$out/load_pkcs7_data/signed.cms.pem"
ossl smime -encrypt -in "$work/message.txt" -aes128 -outform DER -out "$out/load_pkcs7_data/enveloped.der" \
  "$work/leaf.pem"

# SPKAC: `openssl spkac` prints SPKAC=<base64>; from_b64 takes the base64.
for key in rsa ec; do
  ossl spkac -key "$work/$key.pem" -challenge fuzz | sed 's/^SPKAC=//' | tr -d "\n" > "$out/netscape_spki/$key.b64" || rm -f "$out/netscape_spki/$key.b64"
done

# CRLs: the CA's, empty and with the leaf revoked (keyCompromise), PEM and DER.
mkdir -p "$work/ca-db"
: > "$work/ca-db/index.txt"
echo 1000 > "$work/ca-db/crlnumber"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = fuzz
[fuzz]
database = $work/ca-db/index.txt
crlnumber = $work/ca-db/crlnumber
default_md = sha256
default_crl_days = 30
CNF
ossl ca -config "$work/ca.cnf" -gencrl -keyfile "$work/ec.pem" -cert "$work/ca.pem" -out "$out/load_crl/empty.pem"
ossl ca -config "$work/ca.cnf" -revoke "$work/leaf.pem" -keyfile "$work/ec.pem" -cert "$work/ca.pem" \
  -crl_reason keyCompromise
ossl ca -config "$work/ca.cnf" -gencrl -keyfile "$work/ec.pem" -cert "$work/ca.pem" -out "$out/load_crl/revoked.pem"
ossl crl -in "$out/load_crl/revoked.pem" -outform DER -out "$out/load_crl/revoked.der"

# TLS: the flights of real handshakes.
if [ -x "$build/fuzz/fuzz_tls_transcripts" ]; then
  "$build/fuzz/fuzz_tls_transcripts" "$out/tls_server" "$out/tls_client"
else
  echo "make_seeds: no $build/fuzz/fuzz_tls_transcripts (cmake --build --preset fuzz): TLS seeds skipped" >&2
fi
find "$out" -type f | wc -l | xargs echo "make_seeds: seeds written:"
