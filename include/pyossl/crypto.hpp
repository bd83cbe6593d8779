// pyossl::crypto — pyOpenSSL's OpenSSL.crypto: keys, names, certificates, requests,
// extensions, the store, verification and revocation (X509StoreContext, CRL), PKCS#7,
// PKCS#12, Netscape SPKI, and their load/dump functions.
#pragma once

#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/crl.hpp"
#include "pyossl/crypto/elliptic_curve.hpp"
#include "pyossl/crypto/filetype.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "pyossl/crypto/netscape_spki.hpp"
#include "pyossl/crypto/passphrase.hpp"
#include "pyossl/crypto/pkcs12.hpp"
#include "pyossl/crypto/pkcs7.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/revoked.hpp"
#include "pyossl/crypto/sign.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_extension.hpp"
#include "pyossl/crypto/x509_name.hpp"
#include "pyossl/crypto/x509_req.hpp"
#include "pyossl/crypto/x509_store.hpp"
#include "pyossl/crypto/x509_store_context.hpp"
#include "pyossl/crypto/x509_time.hpp"
#include "pyossl/error.hpp"
