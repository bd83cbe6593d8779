// A peer program (openssl s_server / s_client, a pyossl example) run in the background by
// a test: its stdin is ours to write, its stdout and stderr ours to read, every wait is
// bounded, and it is killed and reaped when the test is done with it.
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pyossl_test {

class child_process {
 public:
  // Starts `argv[0]` (looked up in PATH) with `argv`. valid() says whether it started.
  explicit child_process(const std::vector<std::string>& argv) {
    // stdin is a socket pair, not a pipe, so writing to a child that has exited is EPIPE
    // (send with MSG_NOSIGNAL) rather than a SIGPIPE that would kill the test.
    int to_child[2] = {-1, -1};
    int from_child[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to_child) != 0) return;
    if (::pipe2(from_child, O_CLOEXEC) != 0) {
      ::close(to_child[0]);
      ::close(to_child[1]);
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    stdin_ = to_child[1];
    stdout_ = from_child[0];
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() {
    close_stdin();
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    if (stdout_ >= 0) ::close(stdout_);
  }

  [[nodiscard]] bool valid() const noexcept { return pid_ > 0; }
  // The child's process ID, for /proc (-1 if it did not start).
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  // Everything the child has printed so far (stdout and stderr together).
  [[nodiscard]] const std::string& output() const noexcept { return output_; }

  // Writes to the child's stdin; false if it is gone.
  bool write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(stdin_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Ends the child's stdin (it reads EOF).
  void close_stdin() noexcept {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }

  // Reads output until `pattern` appears in it, the child closes its output, or `limit`
  // passes. Returns whether the pattern appeared.
  bool wait_for_output(std::string_view pattern, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (output_.find(pattern) == std::string::npos) {
      if (!read_some(deadline)) return false;
    }
    return true;
  }

  // Reads output until the child closes it (or `limit` passes), then waits for its exit
  // and returns the exit code; nullopt if it did not finish in time (it is then killed).
  std::optional<int> wait(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (read_some(deadline)) {
    }
    while (!exit_code_ && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      ::usleep(10'000);
    }
    return exit_code_;
  }

  // Asks the child to stop (SIGTERM) and waits for it, at most `limit`.
  std::optional<int> terminate(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    if (pid_ > 0 && !exit_code_) ::kill(pid_, SIGTERM);
    return wait(limit);
  }

 private:
  // One read of available output, waiting until `deadline`; false at EOF or timeout.
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    if (stdout_ < 0) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd watch{stdout_, POLLIN, 0};
    const int ready = ::poll(&watch, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::read(stdout_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {
      ::close(stdout_);
      stdout_ = -1;
      return false;
    }
    output_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string output_;
  std::optional<int> exit_code_;
};

}  // namespace pyossl_test
