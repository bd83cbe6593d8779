// pyossl::result<T> — a value or the reason there is none. Include <pyossl/error.hpp>,
// which defines pyossl::error first and then includes this file.
//
// With C++23 and a standard library that has std::expected, result<T> is
// std::expected<T, pyossl::error> and pyossl::unexpected is std::unexpected. Otherwise it is
// the small bundled type below, with the same member names, so code written against one
// compiles against the other. One exception: libstdc++ 12 (g++ 12) ships a C++23
// std::expected without the monadic members (and_then, transform, or_else), which came
// with __cpp_lib_expected 202211L; pyossl itself never calls them.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#if __has_include(<version>)
#include <version>
#endif

#if defined(__cpp_lib_expected) && __cpp_lib_expected >= 202202L
#include <expected>
#define PYOSSL_HAS_STD_EXPECTED 1
#else
#include <variant>
#define PYOSSL_HAS_STD_EXPECTED 0
#endif

namespace pyossl {

#if PYOSSL_HAS_STD_EXPECTED

template <class T>
using result = std::expected<T, error>;
using std::unexpected;

#else

// The failure side of a result, as std::unexpected is for std::expected.
template <class E>
class unexpected {
 public:
  explicit unexpected(E e) : error_(std::move(e)) {}
  [[nodiscard]] const E& error() const& noexcept { return error_; }
  [[nodiscard]] E& error() & noexcept { return error_; }
  [[nodiscard]] E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};
template <class E>
unexpected(E) -> unexpected<E>;

// Thrown by value() on a result that holds an error, as std::bad_expected_access is.
// Reaching it is a bug in the caller: check the result, or use pyossl::unwrap.
class bad_result_access : public std::exception {
 public:
  [[nodiscard]] const char* what() const noexcept override { return "pyossl: value() of a failed result"; }
};

template <class T>
class result;

namespace detail {
template <class R>
struct is_result : std::false_type {};
template <class T>
struct is_result<result<T> > : std::true_type {};
}  // namespace detail

template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;
  using error_type = pyossl::error;

  result() requires std::is_default_constructible_v<T> : state_(std::in_place_index<0>) {}
  template <class U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, result> &&
           !std::is_same_v<std::remove_cvref_t<U>, unexpected<pyossl::error> >) result(U&& value)
      : state_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT: implicit like expected
  template <class E>
  result(unexpected<E> failure) : state_(std::in_place_index<1>, std::move(failure).error()) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] T& value() & { return checked(*this); }
  [[nodiscard]] const T& value() const& { return checked(*this); }
  [[nodiscard]] T&& value() && { return std::move(checked(*this)); }

  [[nodiscard]] const pyossl::error& error() const& noexcept { return *std::get_if<1>(&state_); }
  [[nodiscard]] pyossl::error& error() & noexcept { return *std::get_if<1>(&state_); }
  [[nodiscard]] pyossl::error&& error() && noexcept { return std::move(*std::get_if<1>(&state_)); }

  T& operator*() & noexcept { return *std::get_if<0>(&state_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&state_)); }
  T* operator->() noexcept { return std::get_if<0>(&state_); }
  const T* operator->() const noexcept { return std::get_if<0>(&state_); }

  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  [[nodiscard]] T value_or(U&& fallback) && {
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(fallback));
  }

  // f(T) -> result<U>; skipped on error.
  template <class F>
  auto and_then(F&& f) & {
    return and_then_impl(*this, std::forward<F>(f));
  }
  template <class F>
  auto and_then(F&& f) const& {
    return and_then_impl(*this, std::forward<F>(f));
  }
  template <class F>
  auto and_then(F&& f) && {
    return and_then_impl(std::move(*this), std::forward<F>(f));
  }

  // f(T) -> U, wrapped as result<U>; skipped on error.
  template <class F>
  auto transform(F&& f) & {
    return transform_impl(*this, std::forward<F>(f));
  }
  template <class F>
  auto transform(F&& f) const& {
    return transform_impl(*this, std::forward<F>(f));
  }
  template <class F>
  auto transform(F&& f) && {
    return transform_impl(std::move(*this), std::forward<F>(f));
  }

  // f(error) -> result<T>; skipped on success.
  template <class F>
  result or_else(F&& f) const& {
    if (has_value()) return *this;
    return std::forward<F>(f)(error());
  }
  template <class F>
  result or_else(F&& f) && {
    if (has_value()) return std::move(*this);
    return std::forward<F>(f)(std::move(*this).error());
  }

 private:
  template <class Self>
  static auto& checked(Self& self) {
    if (!self.has_value()) throw bad_result_access();
    return *self;
  }
  template <class Self, class F>
  static auto and_then_impl(Self&& self, F&& f) {
    using R = std::remove_cvref_t<std::invoke_result_t<F, decltype(*std::forward<Self>(self))> >;
    static_assert(detail::is_result<R>::value, "and_then needs a function that returns a result");
    if (!self.has_value()) return R(unexpected(std::forward<Self>(self).error()));
    return std::forward<F>(f)(*std::forward<Self>(self));
  }
  template <class Self, class F>
  static auto transform_impl(Self&& self, F&& f) {
    using U = std::remove_cvref_t<std::invoke_result_t<F, decltype(*std::forward<Self>(self))> >;
    if (!self.has_value()) return result<U>(unexpected(std::forward<Self>(self).error()));
    if constexpr (std::is_void_v<U>) {
      std::forward<F>(f)(*std::forward<Self>(self));
      return result<U>();
    } else {
      return result<U>(std::forward<F>(f)(*std::forward<Self>(self)));
    }
  }

  std::variant<T, pyossl::error> state_;
};

// result<void>: success carries nothing.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  using error_type = pyossl::error;

  result() noexcept : state_(std::in_place_index<0>) {}
  template <class E>
  result(unexpected<E> failure) : state_(std::in_place_index<1>, std::move(failure).error()) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (!has_value()) throw bad_result_access();
  }
  void operator*() const noexcept {}

  [[nodiscard]] const pyossl::error& error() const& noexcept { return *std::get_if<1>(&state_); }
  [[nodiscard]] pyossl::error& error() & noexcept { return *std::get_if<1>(&state_); }
  [[nodiscard]] pyossl::error&& error() && noexcept { return std::move(*std::get_if<1>(&state_)); }

  template <class F>
  auto and_then(F&& f) const& {
    using R = std::remove_cvref_t<std::invoke_result_t<F> >;
    if (!has_value()) return R(unexpected(error()));
    return std::forward<F>(f)();
  }
  template <class F>
  auto and_then(F&& f) && {
    using R = std::remove_cvref_t<std::invoke_result_t<F> >;
    if (!has_value()) return R(unexpected(std::move(*this).error()));
    return std::forward<F>(f)();
  }
  template <class F>
  auto transform(F&& f) const& {
    using U = std::remove_cvref_t<std::invoke_result_t<F> >;
    if (!has_value()) return result<U>(unexpected(error()));
    if constexpr (std::is_void_v<U>) {
      std::forward<F>(f)();
      return result<U>();
    } else {
      return result<U>(std::forward<F>(f)());
    }
  }
  template <class F>
  result or_else(F&& f) const& {
    if (has_value()) return *this;
    return std::forward<F>(f)(error());
  }

 private:
  std::variant<std::monostate, pyossl::error> state_;
};

#endif

}  // namespace pyossl
