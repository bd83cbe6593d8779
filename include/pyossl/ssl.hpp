// pyossl::ssl — pyOpenSSL's OpenSSL.SSL: contexts and connections over sockets or memory.
#pragma once

#include "pyossl/error.hpp"
#include "pyossl/net.hpp"
