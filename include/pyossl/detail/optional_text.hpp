// The type of pyOpenSSL's "a string or None" arguments (a CA file or path, a PKCS#12
// passphrase or friendly name).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pyossl::detail {

// A std::optional<std::string_view> that a caller can also build from nullptr or a null
// const char* (both meaning "absent", pyOpenSSL's None). A plain optional<string_view>
// would turn nullptr into string_view(nullptr), i.e. strlen(NULL): a crash, not an error.
class optional_text : public std::optional<std::string_view> {
 public:
  optional_text() noexcept = default;
  optional_text(std::nullopt_t) noexcept {}   // NOLINT(google-explicit-constructor): like optional
  optional_text(std::nullptr_t) noexcept {}   // NOLINT(google-explicit-constructor): None
  optional_text(const char* text) noexcept {  // NOLINT(google-explicit-constructor)
    if (text != nullptr) emplace(text);
  }
  optional_text(std::string_view text) noexcept : std::optional<std::string_view>(text) {}    // NOLINT
  optional_text(const std::string& text) noexcept : std::optional<std::string_view>(text) {}  // NOLINT
  optional_text(std::optional<std::string_view> text) noexcept  // NOLINT(google-explicit-constructor)
      : std::optional<std::string_view>(text) {}
};

}  // namespace pyossl::detail
