// Memory BIOs: the buffers pyossl's load_* functions read from and dump_* functions write to.
#pragma once

#include <climits>
#include <cstddef>
#include <new>
#include <string>
#include <string_view>

#include <openssl/bio.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// A read-only memory BIO over `buffer` (BIO_new_mem_buf, no copy); errc::invalid_argument
// for a buffer larger than OpenSSL's int lengths allow. `buffer` must outlive the BIO.
[[nodiscard]] PYOSSL_DECL result<handle<BIO>> input_bio(std::string_view operation, std::string_view buffer);

// An empty, growable memory BIO to write into (BIO_new(BIO_s_mem())).
[[nodiscard]] PYOSSL_DECL handle<BIO> output_bio();

// Everything written to a memory BIO so far (BIO_get_mem_data), as a string.
[[nodiscard]] PYOSSL_DECL std::string bio_contents(BIO* bio);

// What `print` (a call such as X509_print_ex that writes to the BIO it is given and
// returns 1 on success) writes, as a string: the FILETYPE_TEXT of the dump_* functions.
template <class Print>
[[nodiscard]] result<std::string> print_to_string(std::string_view operation, Print&& print) {
  const handle<BIO> out = output_bio();
  // An extension OpenSSL cannot decode is printed raw, a success, but what the decoder
  // queued would stay behind for the next failure to report: a failure drains it into
  // its error, a success drops it when this scope ends.
  const error_queue_mark mark;
  if (print(out.get()) != 1) return fail(errc::crypto, operation, "cannot print it as text");
  return bio_contents(out.get());
}

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<handle<BIO>> input_bio(std::string_view operation, std::string_view buffer) {
  if (buffer.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(errc::invalid_argument, operation, "the buffer is larger than OpenSSL can read");
  }
  // BIO_new_mem_buf rejects a null pointer, which an empty string_view may hold.
  auto bio = adopt(BIO_new_mem_buf(buffer.empty() ? "" : buffer.data(), static_cast<int>(buffer.size())));
  if (!bio) throw std::bad_alloc();
  return bio;
}

PYOSSL_DECL handle<BIO> output_bio() {
  auto bio = adopt(BIO_new(BIO_s_mem()));
  if (!bio) throw std::bad_alloc();
  return bio;
}

PYOSSL_DECL std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  if (length <= 0 || data == nullptr) return {};
  return {data, static_cast<std::size_t>(length)};
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
