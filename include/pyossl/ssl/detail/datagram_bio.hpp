// The memory BIO under a DTLS Connection: a queue of whole datagrams.
//
// OpenSSL 3.0's BIO_s_mem is a byte stream, so two DTLS records written one after the
// other come out as one blob, and a peer that reads them as one datagram drops the
// second (DTLS handles one datagram per read); 3.0 has no datagram pair BIO either (that
// arrived in 3.2). This BIO keeps each write as one datagram and hands out exactly one
// per read, so a user can carry DTLS over any transport that keeps message boundaries.
//
// Semantics, as a datagram socket's:
// - write: one datagram, never merged or split.
// - read: the oldest datagram whole. What a buffer too small for it does depends on who
//   reads (datagram_queue::short_read):
//   - the user's side (bio_read of what the SSL wrote): an error that loses nothing (the
//     datagram stays queued; BIO_pending says its size), so a transport can retry with a
//     larger buffer.
//   - the SSL's side (what bio_write fed it): UDP's answer, the first `length` bytes and the
//     rest dropped (recvmsg's MSG_TRUNC). OpenSSL reads into a fixed buffer (about 16 KB) and
//     retries nothing; a datagram kept whole would block every datagram behind it for good,
//     so one oversized datagram from anyone would stall a listener. Cut short, it fails
//     OpenSSL's record checks and is dropped like any damaged datagram.
// - nothing queued: "retry" (want_read), or end of file once BIO_set_mem_eof_return(0)
//   was called (bio_shutdown).
// - BIO_CTRL_DGRAM_QUERY_MTU answers 1472, the UDP payload of a 1500-byte Ethernet frame,
//   so OpenSSL does not fall back to its 256-byte minimum and fragment a ClientHello (a
//   fragmented ClientHello is dropped by DTLSv1_listen). Connection::set_ciphertext_mtu
//   overrides it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <string>

#include <openssl/bio.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"

namespace pyossl::detail {

// The UDP payload of a 1500-byte Ethernet frame (minus 20 bytes of IPv4, 8 of UDP).
inline constexpr long memory_datagram_mtu = 1472;

// What a read into a buffer smaller than the next datagram does (see the top of this file).
enum class short_read {
  keep_whole,  // fail, and leave the datagram queued
  truncate,    // hand out what fits and drop the rest, as UDP does
};

struct datagram_queue {
  std::deque<std::string> datagrams;
  bool at_eof = false;  // bio_shutdown: an empty queue now means end of file
  short_read on_short_read = short_read::keep_whole;
};

[[nodiscard]] PYOSSL_DECL datagram_queue* queue_of(BIO* bio) noexcept;

PYOSSL_DECL int datagram_bio_write(BIO* bio, const char* data, std::size_t length,
                                   std::size_t* written) noexcept;

PYOSSL_DECL int datagram_bio_read(BIO* bio, char* out, std::size_t length, std::size_t* read) noexcept;

PYOSSL_DECL long datagram_bio_ctrl(BIO* bio, int command, long number, void* /*pointer*/) noexcept;

PYOSSL_DECL int datagram_bio_create(BIO* bio) noexcept;

PYOSSL_DECL int datagram_bio_destroy(BIO* bio) noexcept;

// The method, made once per process (thread-safe static initialisation).
[[nodiscard]] PYOSSL_DECL const BIO_METHOD* datagram_bio_method();

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL datagram_queue* queue_of(BIO* bio) noexcept {
  return static_cast<datagram_queue*>(BIO_get_data(bio));
}

PYOSSL_DECL int datagram_bio_write(BIO* bio, const char* data, std::size_t length,
                                   std::size_t* written) noexcept {
  BIO_clear_retry_flags(bio);
  *written = 0;
  datagram_queue* queue = queue_of(bio);
  if (queue == nullptr) return 0;
  if (length == 0) return 1;  // an empty write sends nothing, as send(2) of 0 bytes would not
  try {
    queue->datagrams.emplace_back(data, length);
  } catch (const std::bad_alloc&) {
    return 0;  // OpenSSL reports a failed write; nothing was queued
  }
  *written = length;
  return 1;
}

PYOSSL_DECL int datagram_bio_read(BIO* bio, char* out, std::size_t length, std::size_t* read) noexcept {
  BIO_clear_retry_flags(bio);
  *read = 0;
  datagram_queue* queue = queue_of(bio);
  if (queue == nullptr) return 0;
  if (queue->datagrams.empty()) {
    if (!queue->at_eof) BIO_set_retry_read(bio);
    return 0;
  }
  const std::string& next = queue->datagrams.front();
  if (next.size() > length && queue->on_short_read == short_read::keep_whole) return 0;
  if (length == 0) return 0;  // OpenSSL never reads into nothing; take nothing
  const std::size_t taken = std::min(next.size(), length);
  std::memcpy(out, next.data(), taken);  // never empty: empty writes are not queued
  *read = taken;
  queue->datagrams.pop_front();
  return 1;
}

PYOSSL_DECL long datagram_bio_ctrl(BIO* bio, int command, long number, void* /*pointer*/) noexcept {
  datagram_queue* queue = queue_of(bio);
  if (queue == nullptr) return 0;
  switch (command) {
    case BIO_CTRL_PENDING:  // the size of the next datagram, as OpenSSL's datagram pair BIO
      return queue->datagrams.empty() ? 0 : static_cast<long>(queue->datagrams.front().size());
    case BIO_CTRL_WPENDING:
      return 0;
    case BIO_CTRL_EOF:
      return queue->at_eof && queue->datagrams.empty() ? 1 : 0;
    case BIO_C_SET_BUF_MEM_EOF_RETURN:  // BIO_set_mem_eof_return: 0 means "the peer is gone"
      queue->at_eof = number == 0;
      return 1;
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DGRAM_SET_CONNECTED:
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
      return memory_datagram_mtu;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      return 0;  // the MTU above is already the payload
    default:
      return 0;
  }
}

PYOSSL_DECL int datagram_bio_create(BIO* bio) noexcept {
  try {
    auto queue = std::make_unique<datagram_queue>();
    BIO_set_data(bio, queue.release());  // the BIO owns it: datagram_bio_destroy frees it
  } catch (const std::bad_alloc&) {
    return 0;
  }
  BIO_set_init(bio, 1);
  return 1;
}

PYOSSL_DECL int datagram_bio_destroy(BIO* bio) noexcept {
  std::unique_ptr<datagram_queue> owned(queue_of(bio));
  BIO_set_data(bio, nullptr);
  return 1;
}

PYOSSL_DECL const BIO_METHOD* datagram_bio_method() {
  static const handle<BIO_METHOD> method = [] {
    handle<BIO_METHOD> made =
        adopt(BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "pyossl datagrams"));
    if (!made || BIO_meth_set_write_ex(made.get(), datagram_bio_write) != 1 ||
        BIO_meth_set_read_ex(made.get(), datagram_bio_read) != 1 ||
        BIO_meth_set_ctrl(made.get(), datagram_bio_ctrl) != 1 ||
        BIO_meth_set_create(made.get(), datagram_bio_create) != 1 ||
        BIO_meth_set_destroy(made.get(), datagram_bio_destroy) != 1) {
      return handle<BIO_METHOD>();
    }
    return made;
  }();
  if (!method) throw std::bad_alloc();
  return method.get();
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
