// pyossl — pyOpenSSL's API over OpenSSL 3. This header includes every module; include
// only the ones you use (<pyossl/rand.hpp>, <pyossl/crypto.hpp>, <pyossl/ssl.hpp>) to
// keep builds fast.
#pragma once

#include "pyossl/crypto.hpp"
#include "pyossl/error.hpp"
#include "pyossl/rand.hpp"
#include "pyossl/ssl.hpp"
