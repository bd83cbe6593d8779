// pyossl::asio::stream — TLS for Asio programs: an AsyncReadStream / AsyncWriteStream over
// any Asio stream (a tcp::socket, usually), driven by a memory-BIO ssl::Connection.
//
// Optional: this header needs standalone Asio (<asio.hpp>, Debian's libasio-dev) and is
// not included by <pyossl/pyossl.hpp>. Use it as asio::ssl::stream:
//
//   pyossl::asio::stream<asio::ip::tcp::socket> tls(context, executor);
//   co_await asio::async_connect(tls.next_layer(), endpoints, asio::use_awaitable);
//   co_await tls.async_handshake(pyossl::asio::handshake_type::client, asio::use_awaitable);
//   co_await asio::async_write(tls, asio::buffer(request), asio::use_awaitable);
//
// Errors (completion handlers get a std::error_code, the throwing overloads throw
// std::system_error):
//   - the peer's close_notify seen by an operation          ::asio::error::eof
//   - the transport ended without close_notify              pyossl errc::syscall
//   - cancellation (per-operation, or next_layer().cancel()) ::asio::error::operation_aborted
//   - a TLS failure (handshake, verification, protocol)      pyossl errc::ssl (and the other
//                                                            pyossl kinds), in pyossl::error_category()
//   - any other transport error (reset, broken pipe, ...)    the next layer's code, unchanged
// last_error() keeps the whole pyossl::error of the latest failure (OpenSSL's queue, the
// verification verdict; for a transport failure errc::syscall with the errno).
//
// Concurrency, as Asio's own stream: at most one read (async_read_some or a composed read)
// and one write in flight at once, plus a handshake or shutdown beside them; all of one
// stream's handlers must run serialised (one thread, or a strand as the next layer's
// executor). Only one operation reads the next layer at a time and only one writes to it;
// the others wait for it and then go on with what it brought. The Connection's output is
// sent by the operation that produced it, or by the write already under way. Destroy the
// stream only when no operation is pending, and do not mix its synchronous and
// asynchronous calls. An exception a callback (verify, info, servername) throws during an
// asynchronous operation comes out of the executor's run(), as any handler's exception.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/async_result.hpp>
#include <asio/basic_waitable_timer.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "pyossl/error.hpp"
#include "pyossl/ssl/connection.hpp"
#include "pyossl/ssl/context.hpp"

namespace pyossl::asio {

enum class handshake_type { client, server };

namespace detail {

// The largest plaintext one write_some hands TLS: four full records, so a large buffer is
// sent in few next-layer writes while the ciphertext waiting in memory stays bounded.
inline constexpr std::size_t max_write_chunk = 4 * 16384;
// One TLS record with its header and the largest expansion, what one next-layer read takes.
inline constexpr std::size_t input_buffer_size = 17 * 1024;

// What the TLS call of an operation asks for next.
enum class want {
  done,    // finished (successfully or not); flush what it wrote, then complete
  input,   // needs bytes from the peer (after its own output is on the way)
  output,  // wrote for the peer and must retry once that is sent (never with memory BIOs today)
};

struct step_result {
  want next = want::done;
  std::size_t bytes = 0;
  std::optional<pyossl::error> failure;  // a failure that ends the operation
};

// Classifies one Connection call: waiting for the transport is want::input / want::output,
// anything else ends the operation.
template <class T>
[[nodiscard]] step_result classify(result<T> outcome, std::size_t bytes = 0) {
  if (outcome.has_value()) return {want::done, bytes, std::nullopt};
  if (outcome.error() == errc::want_read) return {want::input, 0, std::nullopt};
  if (outcome.error() == errc::want_write) return {want::output, 0, std::nullopt};
  return {want::done, 0, std::move(outcome).error()};
}

// The error_code an operation completes with for a pyossl failure: the peer's close_notify
// is Asio's end of file, everything else keeps its pyossl kind.
[[nodiscard]] inline std::error_code to_error_code(const pyossl::error& failure) {
  if (failure.kind() == errc::zero_return) return ::asio::error::make_error_code(::asio::error::eof);
  return failure.code();
}

// A transport failure as a pyossl::error, for last_error(): errc::syscall with the code.
[[nodiscard]] inline pyossl::error transport_error(const char* operation, const std::error_code& code) {
  pyossl::error failure(errc::syscall, operation, {}, code.message());
  failure.set_syscall(code.value(), code.message());
  return failure;
}

struct handshake_step {
  static constexpr const char* name = "pyossl::asio::stream::handshake";
  static constexpr bool is_read = false;
  step_result operator()(ssl::Connection& connection) const { return classify(connection.do_handshake()); }
};

struct read_step {
  static constexpr const char* name = "pyossl::asio::stream::read_some";
  static constexpr bool is_read = true;
  ::asio::mutable_buffer buffer;
  step_result operator()(ssl::Connection& connection) const {
    auto read = connection.recv_into(std::span(static_cast<std::byte*>(buffer.data()), buffer.size()));
    const std::size_t count = read.has_value() ? *read : 0;
    return classify(std::move(read), count);
  }
};

struct write_step {
  static constexpr const char* name = "pyossl::asio::stream::write_some";
  static constexpr bool is_read = false;
  ::asio::const_buffer buffer;
  step_result operator()(ssl::Connection& connection) const {
    const std::size_t size = buffer.size() < max_write_chunk ? buffer.size() : max_write_chunk;
    auto sent = connection.send(std::span(static_cast<const std::byte*>(buffer.data()), size));
    const std::size_t count = sent.has_value() ? *sent : 0;
    return classify(std::move(sent), count);
  }
};

// SSL_shutdown sends close_notify (the first call returns "not yet") and then waits for
// the peer's: done once both have passed.
struct shutdown_step {
  static constexpr const char* name = "pyossl::asio::stream::shutdown";
  static constexpr bool is_read = false;
  step_result operator()(ssl::Connection& connection) const {
    auto closed = connection.shutdown();
    if (closed.has_value() && !*closed) closed = connection.shutdown();
    if (closed.has_value() && !*closed) return {want::input, 0, std::nullopt};
    return classify(std::move(closed));
  }
};

// The first non-empty buffer of a sequence (what one read_some / write_some moves, as
// asio::ssl::stream does); an empty buffer if there is none.
template <class Buffer, class Buffers>
[[nodiscard]] Buffer first_buffer(const Buffers& buffers) {
  for (auto it = ::asio::buffer_sequence_begin(buffers); it != ::asio::buffer_sequence_end(buffers); ++it) {
    Buffer buffer(*it);
    if (buffer.size() != 0) return buffer;
  }
  return Buffer();
}

// Everything a stream owns, at one heap address, so the stream moves cheaply and pending
// operations keep pointing at the same state.
// What TLS wrote for the peer, on its way to the next layer. Unlike a vector it never
// zero-fills: a bulk write's 16 KiB record would otherwise be cleared before every copy.
class output_buffer {
 public:
  // Room for `size` bytes the caller writes whole; what was there is dropped.
  std::span<std::byte> overwrite(std::size_t size) {
    if (size > capacity_) {
      storage_ = std::make_unique_for_overwrite<std::byte[]>(size);
      capacity_ = size;
    }
    size_ = size;
    return {storage_.get(), size};
  }
  // Keeps the first `size` bytes (size <= size()).
  void resize(std::size_t size) noexcept { size_ = size; }
  [[nodiscard]] const std::byte* data() const noexcept { return storage_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  std::unique_ptr<std::byte[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

template <class NextLayer>
struct stream_core {
  using executor_type = typename NextLayer::executor_type;
  // Used as a condition variable: it never expires; waiters wake when it is cancelled.
  using gate_type =
      ::asio::basic_waitable_timer<std::chrono::steady_clock, ::asio::wait_traits<std::chrono::steady_clock>,
                                   executor_type>;

  template <class... Args>
  explicit stream_core(const ssl::Context& context, Args&&... next_layer_args)
      : next_layer(std::forward<Args>(next_layer_args)...),
        connection(context),
        read_gate(next_layer.get_executor()),
        write_gate(next_layer.get_executor()),
        input(input_buffer_size) {
    read_gate.expires_at(std::chrono::steady_clock::time_point::max());
    write_gate.expires_at(std::chrono::steady_clock::time_point::max());
  }

  // Bytes TLS has written for the peer and nobody has taken yet.
  [[nodiscard]] std::size_t output_pending() const noexcept {
    return BIO_ctrl_pending(SSL_get_wbio(connection.native_handle()));
  }

  // Moves everything TLS wrote into `output`, replacing what was there.
  [[nodiscard]] result<void> take_output() {
    auto taken = connection.bio_read_into(output.overwrite(output_pending()));
    if (!taken) return unexpected(std::move(taken).error());
    output.resize(*taken);
    return {};
  }

  // Hands bytes the next layer read to TLS; an end of file tells TLS the stream ended.
  [[nodiscard]] result<void> give_input(std::size_t count, bool end_of_file) {
    if (count > 0) {
      auto given = connection.bio_write(std::span(input.data(), count));
      if (!given) return unexpected(std::move(given).error());
    }
    if (end_of_file) return connection.bio_shutdown();
    return {};
  }

  // Lets every operation waiting on `gate` go on (a timer cancel costs a lock: skip it
  // when nobody waits).
  static void open_gate(gate_type& gate, int waiters) {
    if (waiters > 0) gate.cancel();
  }

  std::error_code fail(pyossl::error failure) {
    std::error_code code = to_error_code(failure);
    last_error = std::move(failure);
    return code;
  }
  std::error_code fail_transport(const char* operation, const std::error_code& code) {
    last_error = transport_error(operation, code);
    return code;
  }

  NextLayer next_layer;
  ssl::Connection connection;
  gate_type read_gate;            // woken when the next-layer read finishes
  gate_type write_gate;           // woken when the next-layer write finishes
  bool reading = false;           // an operation is reading the next layer
  bool writing = false;           // an operation is writing to the next layer
  int read_waiters = 0;           // waits on read_gate not yet ended
  int write_waiters = 0;          // waits on write_gate not yet ended
  std::error_code write_failure;  // a failed next-layer write: the stream cannot send any more
  std::vector<std::byte> input;
  output_buffer output;
  std::optional<pyossl::error> last_error;
};

// One asynchronous operation (handshake, read_some, write_some, shutdown), for
// asio::async_compose: run the TLS step, send what it wrote, read what it needs, retry.
template <class NextLayer, class Step>
class io_operation {
 public:
  io_operation(stream_core<NextLayer>& core, Step step) : core_(&core), step_(std::move(step)) {}

  // The start (from the initiating function), or the posted completion of an operation
  // that finished before it had to wait.
  template <class Self>
  void operator()(Self& self) {
    if (phase_ == phase::posted) {
      finish(self);
      return;
    }
    // True until the operation first waits: this object is moved into the handler of
    // what it waits for, so the flag must be cleared before each wait, not after.
    initiating_ = true;
    run(self);
  }

  // A next-layer read or write finished.
  template <class Self>
  void operator()(Self& self, std::error_code code, std::size_t count) {
    if (phase_ == phase::reading) {
      on_read(self, code, count);
    } else {
      on_written(self, code);
    }
  }

  // A wait for the read or write gate ended (the holder finished, or we were cancelled).
  template <class Self>
  void operator()(Self& self, std::error_code /*woken*/) {
    // Every wait ends exactly once (the gate opened, or this operation was cancelled).
    --(phase_ == phase::waiting_to_read ? core_->read_waiters : core_->write_waiters);
    if (cancelled(self)) {
      complete(self, ::asio::error::operation_aborted);
      return;
    }
    if (phase_ == phase::waiting_to_read) {
      run(self);
      return;
    }
    // The write it waited for may have taken this operation's bytes and then failed.
    if (core_->write_failure) {
      complete(self, core_->write_failure);
      return;
    }
    flush(self);
  }

 private:
  enum class phase { stepping, reading, writing, waiting_to_read, waiting_to_write, posted };

  // Whether the completion handler's cancellation slot has asked this operation to stop.
  template <class Self>
  [[nodiscard]] static bool cancelled(const Self& self) noexcept {
    return self.get_cancellation_state().cancelled() != ::asio::cancellation_type::none;
  }

  // Runs the TLS step until it needs the transport or is done.
  template <class Self>
  void run(Self& self) {
    phase_ = phase::stepping;
    result_ = step_(core_->connection);
    flush(self);
  }

  // Sends what the step wrote, then goes on as the step asked.
  template <class Self>
  void flush(Self& self) {
    if (core_->output_pending() > 0) {
      // After a failed write nothing more can be sent; a read still delivers what it got.
      if (core_->write_failure) {
        if (!Step::is_read) {
          complete(self, core_->write_failure);
          return;
        }
      } else if (!core_->writing) {
        start_write(self);
        return;
      } else if (!Step::is_read) {
        // A write is under way and sends this too before it lets go. A read goes on at
        // once (waiting could deadlock against a peer that waits for our reading); the
        // others complete only once their bytes have left.
        phase_ = phase::waiting_to_write;
        initiating_ = false;  // it completes from a later handler
        ++core_->write_waiters;
        core_->write_gate.async_wait(std::move(self));
        return;
      }
    }
    proceed(self);
  }

  template <class Self>
  void proceed(Self& self) {
    switch (result_.next) {
      case want::input:
        start_read(self);
        return;
      case want::output:
        run(self);
        return;
      case want::done:
        break;
    }
    if (result_.failure) {
      complete(self, core_->fail(std::move(*result_.failure)));
      return;
    }
    complete(self, std::error_code());
  }

  template <class Self>
  void start_read(Self& self) {
    if (core_->reading) {
      phase_ = phase::waiting_to_read;
      initiating_ = false;
      ++core_->read_waiters;
      core_->read_gate.async_wait(std::move(self));
      return;
    }
    core_->reading = true;
    phase_ = phase::reading;
    initiating_ = false;
    core_->next_layer.async_read_some(::asio::buffer(core_->input.data(), core_->input.size()),
                                      std::move(self));
  }

  template <class Self>
  void on_read(Self& self, std::error_code code, std::size_t count) {
    core_->reading = false;
    core_->open_gate(core_->read_gate, core_->read_waiters);  // the others go on with what arrived
    const bool end_of_file = code == ::asio::error::eof;
    auto given = core_->give_input(count, end_of_file);
    if (!given) {
      complete(self, core_->fail(std::move(given).error()));
      return;
    }
    if (code && !end_of_file) {
      if (code == ::asio::error::operation_aborted) {
        complete(self, code);
      } else {
        complete(self, core_->fail_transport(Step::name, code));
      }
      return;
    }
    if (cancelled(self)) {
      complete(self, ::asio::error::operation_aborted);
      return;
    }
    run(self);
  }

  template <class Self>
  void start_write(Self& self) {
    auto taken = core_->take_output();
    if (!taken) {
      complete(self, core_->fail(std::move(taken).error()));
      return;
    }
    core_->writing = true;
    phase_ = phase::writing;
    initiating_ = false;
    ::asio::async_write(core_->next_layer, ::asio::buffer(core_->output.data(), core_->output.size()),
                        std::move(self));
  }

  template <class Self>
  void on_written(Self& self, std::error_code code) {
    if (code) {
      core_->writing = false;
      core_->write_failure = code;
      core_->open_gate(core_->write_gate, core_->write_waiters);
      complete(self,
               code == ::asio::error::operation_aborted ? code : core_->fail_transport(Step::name, code));
      return;
    }
    if (core_->output_pending() > 0) {  // others wrote meanwhile: the writer sends it all
      start_write(self);
      return;
    }
    core_->writing = false;
    core_->open_gate(core_->write_gate, core_->write_waiters);
    proceed(self);
  }

  // Completes, never from inside the initiating function (Asio's rule): an operation that
  // finished without waiting posts its completion first.
  template <class Self>
  void complete(Self& self, std::error_code code) {
    code_ = code;
    if (initiating_) {
      phase_ = phase::posted;
      ::asio::post(std::move(self));
      return;
    }
    finish(self);
  }

  template <class Self>
  void finish(Self& self) {
    if constexpr (std::is_same_v<Step, read_step> || std::is_same_v<Step, write_step>) {
      self.complete(code_, code_ ? std::size_t{0} : result_.bytes);
    } else {
      self.complete(code_);
    }
  }

  stream_core<NextLayer>* core_;
  Step step_;
  step_result result_;
  std::error_code code_;
  phase phase_ = phase::stepping;
  bool initiating_ = false;
};

// One synchronous operation: the same loop with blocking next-layer calls.
template <class NextLayer, class Step>
std::size_t run_sync(stream_core<NextLayer>& core, const Step& step, std::error_code& code) {
  code.clear();
  for (;;) {
    step_result result = step(core.connection);
    if (core.output_pending() > 0) {
      auto taken = core.take_output();
      if (!taken) {
        code = core.fail(std::move(taken).error());
        return 0;
      }
      std::error_code written;
      ::asio::write(core.next_layer, ::asio::buffer(core.output.data(), core.output.size()), written);
      if (written) {
        code = core.fail_transport(Step::name, written);
        return 0;
      }
    }
    if (result.next == want::output) continue;
    if (result.next == want::done) {
      if (result.failure) {
        code = core.fail(std::move(*result.failure));
        return 0;
      }
      return result.bytes;
    }
    std::error_code read;
    const std::size_t count =
        core.next_layer.read_some(::asio::buffer(core.input.data(), core.input.size()), read);
    const bool end_of_file = read == ::asio::error::eof;
    auto given = core.give_input(count, end_of_file);
    if (!given) {
      code = core.fail(std::move(given).error());
      return 0;
    }
    if (read && !end_of_file) {
      code = core.fail_transport(Step::name, read);
      return 0;
    }
  }
}

inline void throw_on_error(const std::error_code& code, const std::optional<pyossl::error>& last_error,
                           const char* operation) {
  if (!code) return;
  if (last_error && code.category() == pyossl::error_category()) throw_error(*last_error);
  throw std::system_error(code, operation);
}

}  // namespace detail

template <class NextLayer>
class stream {
 public:
  using next_layer_type = NextLayer;
  using executor_type = typename NextLayer::executor_type;

  // A TLS stream over a NextLayer made from `next_layer_args` (for a tcp::socket: an
  // executor or io_context, or an open socket), with a memory-BIO Connection made from
  // `context`. Throws std::bad_alloc if OpenSSL cannot allocate.
  template <class... Args>
  explicit stream(const ssl::Context& context, Args&&... next_layer_args)
      : core_(std::make_unique<core_type>(context, std::forward<Args>(next_layer_args)...)) {}

  // A moved-from stream may only be destroyed or assigned to.
  stream(stream&&) noexcept = default;
  stream& operator=(stream&&) noexcept = default;

  executor_type get_executor() noexcept { return core_->next_layer.get_executor(); }
  NextLayer& next_layer() noexcept { return core_->next_layer; }
  const NextLayer& next_layer() const noexcept { return core_->next_layer; }
  // The memory-BIO Connection underneath: set SNI, ALPN, the host name to verify, a
  // session to resume before the handshake; read the peer's certificate, cipher and
  // session after it. Do not call its I/O methods (send, recv, bio_*) yourself.
  ssl::Connection& connection() noexcept { return core_->connection; }
  const ssl::Connection& connection() const noexcept { return core_->connection; }

  // Runs the TLS handshake as the client or the server (SSL_set_connect_state /
  // SSL_set_accept_state, then SSL_do_handshake until done). Fails as listed atop this
  // header; a rejected certificate is errc::ssl with last_error()->verification().
  void handshake(handshake_type type) {
    std::error_code code;
    handshake(type, code);
    detail::throw_on_error(code, last_error(), "pyossl::asio::stream::handshake");
  }
  void handshake(handshake_type type, std::error_code& code) {
    set_role(type);
    detail::run_sync(*core_, detail::handshake_step{}, code);
  }
  // Completion: void(std::error_code).
  template <class Token>
  auto async_handshake(handshake_type type, Token&& token) {
    set_role(type);
    return ::asio::async_compose<Token, void(std::error_code)>(
        detail::io_operation<NextLayer, detail::handshake_step>(*core_, {}), token, core_->next_layer);
  }

  // Reads some decrypted bytes into the first non-empty buffer (SSL_read_ex, reading the
  // next layer as needed); returns the count, 0 for empty buffers. The peer's close_notify
  // is ::asio::error::eof.
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    std::error_code code;
    const std::size_t count = read_some(buffers, code);
    detail::throw_on_error(code, last_error(), "pyossl::asio::stream::read_some");
    return count;
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, std::error_code& code) {
    const auto buffer = detail::first_buffer<::asio::mutable_buffer>(buffers);
    code.clear();
    if (buffer.size() == 0) return 0;
    return detail::run_sync(*core_, detail::read_step{buffer}, code);
  }
  // Completion: void(std::error_code, std::size_t).
  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    const auto buffer = detail::first_buffer<::asio::mutable_buffer>(buffers);
    return ::asio::async_compose<Token, void(std::error_code, std::size_t)>(
        detail::io_operation<NextLayer, detail::read_step>(*core_, detail::read_step{buffer}), token,
        core_->next_layer);
  }

  // Encrypts some bytes of the first non-empty buffer (at most 64 KiB; SSL_write_ex) and
  // writes them to the next layer before returning the count; 0 for empty buffers.
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    std::error_code code;
    const std::size_t count = write_some(buffers, code);
    detail::throw_on_error(code, last_error(), "pyossl::asio::stream::write_some");
    return count;
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, std::error_code& code) {
    const auto buffer = detail::first_buffer<::asio::const_buffer>(buffers);
    code.clear();
    if (buffer.size() == 0) return 0;
    return detail::run_sync(*core_, detail::write_step{buffer}, code);
  }
  // Completion: void(std::error_code, std::size_t).
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    const auto buffer = detail::first_buffer<::asio::const_buffer>(buffers);
    return ::asio::async_compose<Token, void(std::error_code, std::size_t)>(
        detail::io_operation<NextLayer, detail::write_step>(*core_, detail::write_step{buffer}), token,
        core_->next_layer);
  }

  // Sends close_notify and waits for the peer's (SSL_shutdown). The transport stays open:
  // close next_layer() afterwards. A peer that closes without answering is errc::syscall.
  void shutdown() {
    std::error_code code;
    shutdown(code);
    detail::throw_on_error(code, last_error(), "pyossl::asio::stream::shutdown");
  }
  void shutdown(std::error_code& code) { detail::run_sync(*core_, detail::shutdown_step{}, code); }
  // Completion: void(std::error_code).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return ::asio::async_compose<Token, void(std::error_code)>(
        detail::io_operation<NextLayer, detail::shutdown_step>(*core_, {}), token, core_->next_layer);
  }

  // The whole pyossl::error of the most recent failed operation (queue, verify verdict);
  // nullopt before any failed. Cancellation leaves it as it was.
  const std::optional<pyossl::error>& last_error() const noexcept { return core_->last_error; }

 private:
  using core_type = detail::stream_core<NextLayer>;

  // Only before the handshake has begun: SSL_set_connect_state / _accept_state reset a
  // connection that is under way (a read may have started the handshake already).
  void set_role(handshake_type type) noexcept {
    if (SSL_in_before(core_->connection.native_handle()) == 0) return;
    if (type == handshake_type::client) {
      core_->connection.set_connect_state();
    } else {
      core_->connection.set_accept_state();
    }
  }

  std::unique_ptr<core_type> core_;
};

}  // namespace pyossl::asio
