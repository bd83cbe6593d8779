// pyossl::ssl — pyOpenSSL's OpenSSL.SSL: contexts and connections over sockets or memory.
#pragma once

#include "pyossl/error.hpp"
#include "pyossl/net.hpp"
#include "pyossl/ssl/connection.hpp"
#include "pyossl/ssl/constants.hpp"
#include "pyossl/ssl/context.hpp"
#include "pyossl/ssl/default_context.hpp"
#include "pyossl/ssl/method.hpp"
#include "pyossl/ssl/session.hpp"
#include "pyossl/ssl/version.hpp"
