// pyossl::rand — manual section 3.2, every function, success and failure paths.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/rand.hpp"
#include "temp_dir.hpp"

using pyossl::errc;

TEST_CASE("pyossl::rand::bytes returns as many random bytes as asked", "[rand]") {
  auto count = GENERATE(0L, 1L, 16L, 1000L, 100000L);
  auto random = pyossl::rand::bytes(count);
  REQUIRE_OK(random);
  CHECK(static_cast<long>(random->size()) == count);
}

TEST_CASE("pyossl::rand::bytes differs from call to call", "[rand]") {
  auto first = pyossl::rand::bytes(32);
  auto second = pyossl::rand::bytes(32);
  REQUIRE_OK(first);
  REQUIRE_OK(second);
  CHECK(*first != *second);
  CHECK(*first != std::string(32, '\0'));
}

TEST_CASE("pyossl::rand::bytes of a negative count fails with invalid_argument", "[rand]") {
  REQUIRE_FAILS_WITH(pyossl::rand::bytes(-1), errc::invalid_argument);
}

TEST_CASE("pyossl::rand::bytes_into fills the caller's buffer", "[rand]") {
  std::vector<std::byte> buffer(64, std::byte{0});
  REQUIRE_OK(pyossl::rand::bytes_into(buffer));
  CHECK(std::count(buffer.begin(), buffer.end(), std::byte{0}) < 16);
}

TEST_CASE("pyossl::rand::add, seed and status leave the generator seeded", "[rand]") {
  pyossl::rand::add("some entropy from the test", 2.5);
  pyossl::rand::add(std::string(1 << 16, 'x'), 0.0);
  pyossl::rand::seed("more seed material");
  const std::byte binary[] = {std::byte{0}, std::byte{1}, std::byte{255}};
  pyossl::rand::seed(binary);
  CHECK(pyossl::rand::status());
  REQUIRE_OK(pyossl::rand::bytes(8));
}

TEST_CASE("pyossl::rand::cleanup is a harmless no-op on OpenSSL 3", "[rand]") {
  pyossl::rand::cleanup();
  CHECK(pyossl::rand::status());
  REQUIRE_OK(pyossl::rand::bytes(8));
}

TEST_CASE("pyossl::rand::screen is unsupported off Windows", "[rand]") {
#if defined(_WIN32)
  REQUIRE_OK(pyossl::rand::screen());
#else
  const auto r = pyossl::rand::screen();
  REQUIRE_FAILS_WITH(r, errc::unsupported);
  CHECK(r.error().message().find("Windows") != std::string::npos);
#endif
}

TEST_CASE("pyossl::rand::write_file then load_file round-trips 1024 bytes", "[rand]") {
  const pyossl_test::temp_dir dir;
  const std::string path = dir.file("seed");
  auto written = pyossl::rand::write_file(path);
  REQUIRE_OK(written);
  CHECK(*written == 1024);
  CHECK(std::filesystem::file_size(path) == 1024);

  auto all = pyossl::rand::load_file(path);
  REQUIRE_OK(all);
  CHECK(*all == 1024);
  auto some = pyossl::rand::load_file(path, 10);
  REQUIRE_OK(some);
  CHECK(*some == 10);
}

TEST_CASE("pyossl::rand::load_file of a missing file fails with rand error", "[rand]") {
  const pyossl_test::temp_dir dir;
  const auto r = pyossl::rand::load_file(dir.file("does-not-exist"));
  REQUIRE_FAILS_WITH(r, errc::rand);
  CHECK(r.error().message().find("does-not-exist") != std::string::npos);
}

TEST_CASE("pyossl::rand::write_file into a missing directory fails with rand error", "[rand]") {
  const pyossl_test::temp_dir dir;
  REQUIRE_FAILS_WITH(pyossl::rand::write_file(dir.file("no/such/dir/seed")), errc::rand);
}

TEST_CASE("pyossl::rand::load_file and write_file failures read as their errno text", "[rand]") {
  const pyossl_test::temp_dir dir;
  const auto missing = pyossl::rand::load_file(dir.file("does-not-exist"));
  REQUIRE_FAILS_WITH(missing, errc::rand);
  CHECK_THAT(missing.error().message(), Catch::Contains("No such file or directory"));
  CHECK(missing.error().sys_errno() == ENOENT);
  const auto unwritable = pyossl::rand::write_file(dir.file("no/such/dir/seed"));
  REQUIRE_FAILS_WITH(unwritable, errc::rand);
  CHECK_THAT(unwritable.error().message(), Catch::Contains("No such file or directory"));
  CHECK(unwritable.error().sys_errno() == ENOENT);
}

TEST_CASE("rand file paths with a NUL byte are rejected, not truncated", "[rand]") {
  const std::string path("seed\0evil", 9);
  REQUIRE_FAILS_WITH(pyossl::rand::load_file(path), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pyossl::rand::write_file(path), errc::invalid_argument);
}

namespace {

// A tiny Entropy Gathering Daemon on a Unix socket, serving one client in a thread.
// It speaks EGD's "read entropy, non-blocking" command (0x01 n -> count, bytes) and can
// misbehave in the ways a real daemon might.
class egd_server {
 public:
  enum class behaviour {
    honest,           // answers every request in full
    runs_dry,         // has only `available` bytes in all
    hangs_up,         // closes the connection without answering
    answers_short,    // promises the full count, sends half, closes
    answers_too_much  // claims more than was asked for
  };

  egd_server(const std::string& path, behaviour how, int available = 1 << 20)
      : path_(path), how_(how), available_(available) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener_, 1) != 0) {
      throw std::runtime_error(std::string("egd_server: ") + std::strerror(errno));
    }
    thread_ = std::thread([this] { serve(); });
  }
  egd_server(const egd_server&) = delete;
  egd_server& operator=(const egd_server&) = delete;
  ~egd_server() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }

  [[nodiscard]] int requests() const { return requests_; }

 private:
  void serve() {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    unsigned char request[2];
    while (::recv(client, request, 2, MSG_WAITALL) == 2 && request[0] == 0x01) {
      ++requests_;
      if (how_ == behaviour::hangs_up) break;
      int count = std::min<int>(request[1], available_);
      if (how_ == behaviour::answers_too_much) count = request[1] + 1;
      available_ -= count;
      std::vector<unsigned char> answer(1 + static_cast<std::size_t>(count), 0x5a);
      answer[0] = static_cast<unsigned char>(count);
      if (how_ == behaviour::answers_short) answer.resize(1 + static_cast<std::size_t>(count) / 2);
      (void)::send(client, answer.data(), answer.size(), MSG_NOSIGNAL);
      if (how_ == behaviour::answers_short) break;
    }
    ::close(client);
  }

  std::string path_;
  behaviour how_;
  int available_;
  int listener_ = -1;
  int requests_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("pyossl::rand::egd reads 255 bytes from the daemon by default", "[rand][egd]") {
  const pyossl_test::temp_dir dir;
  const egd_server daemon(dir.file("egd"), egd_server::behaviour::honest);
  auto got = pyossl::rand::egd(dir.file("egd"));
  REQUIRE_OK(got);
  CHECK(*got == 255);
}

TEST_CASE("pyossl::rand::egd asks in pieces of at most 255 bytes", "[rand][egd]") {
  const pyossl_test::temp_dir dir;
  egd_server daemon(dir.file("egd"), egd_server::behaviour::honest);
  auto got = pyossl::rand::egd(dir.file("egd"), 1000);
  REQUIRE_OK(got);
  CHECK(*got == 1000);
}

TEST_CASE("pyossl::rand::egd returns what a daemon that runs dry had", "[rand][egd]") {
  const pyossl_test::temp_dir dir;
  const egd_server daemon(dir.file("egd"), egd_server::behaviour::runs_dry, 300);
  auto got = pyossl::rand::egd(dir.file("egd"), 1000);
  REQUIRE_OK(got);
  CHECK(*got == 300);
}

TEST_CASE("pyossl::rand::egd of zero bytes asks for nothing", "[rand][egd]") {
  const pyossl_test::temp_dir dir;
  const egd_server daemon(dir.file("egd"), egd_server::behaviour::honest);
  auto got = pyossl::rand::egd(dir.file("egd"), 0);
  REQUIRE_OK(got);
  CHECK(*got == 0);
}

TEST_CASE("pyossl::rand::egd with no daemon at the path fails with rand error and errno", "[rand][egd]") {
  const pyossl_test::temp_dir dir;
  const auto r = pyossl::rand::egd(dir.file("nobody-listens"));
  REQUIRE_FAILS_WITH(r, errc::rand);
  CHECK(r.error().sys_errno() == ENOENT);
  CHECK(r.error().message().find("nobody-listens") != std::string::npos);
}

TEST_CASE("pyossl::rand::egd fails with rand error when the daemon misbehaves", "[rand][egd]") {
  auto how = GENERATE(egd_server::behaviour::hangs_up, egd_server::behaviour::answers_short,
                      egd_server::behaviour::answers_too_much);
  const pyossl_test::temp_dir dir;
  const egd_server daemon(dir.file("egd"), how);
  REQUIRE_FAILS_WITH(pyossl::rand::egd(dir.file("egd"), 100), errc::rand);
}

TEST_CASE("pyossl::rand::egd rejects bad arguments with invalid_argument", "[rand][egd]") {
  REQUIRE_FAILS_WITH(pyossl::rand::egd("/tmp/egd", -1), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pyossl::rand::egd(""), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pyossl::rand::egd(std::string(200, 'x')), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pyossl::rand::egd(std::string("/tmp/egd\0x", 10)), errc::invalid_argument);
}

TEST_CASE("unwrap turns a rand failure into pyossl::rand::Error", "[rand]") {
  CHECK_THROWS_AS(pyossl::unwrap(pyossl::rand::bytes(-5)), pyossl::exception);
  const pyossl_test::temp_dir dir;
  CHECK_THROWS_AS(pyossl::unwrap(pyossl::rand::load_file(dir.file("missing"))), pyossl::rand::Error);
}
