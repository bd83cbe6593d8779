// pyossl::result<T> — a value or the reason there is none. Include <pyossl/error.hpp>,
// which defines pyossl::error first and then includes this file.
//
// With C++23 and a standard library that has std::expected, result<T> is
// std::expected<T, pyossl::error> and pyossl::unexpected is std::unexpected. Otherwise it is
// the small bundled type below, with the same member names, so code written against one
// compiles against the other. One exception: libstdc++ 12 (g++ 12) ships a C++23
// std::expected without the monadic members (and_then, transform, or_else), which came
// with __cpp_lib_expected 202211L; pyossl itself never calls them.
//
// The bundled type is a union and a flag, not a std::variant: every header instantiates
// result<T> for a dozen T, and variant's visitation tables made that the largest single
// cost of including pyossl (bench/README.md, compile time).
#pragma once

#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#if __has_include(<version>)
#include <version>
#endif

#if defined(__cpp_lib_expected) && __cpp_lib_expected >= 202202L
#include <expected>
#define PYOSSL_HAS_STD_EXPECTED 1
#else
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

// What result<void> holds on success.
struct result_empty {};

// The storage of result<T> (V = T) and result<void> (V = result_empty): a value or an
// error in one union, and which of the two is alive. Special members exist only where V
// has them, so result<T> is copyable exactly when T is.
template <class V>
class result_storage {
 protected:
  template <class... A>
  explicit result_storage(std::in_place_t, A&&... args) : value_(std::forward<A>(args)...), has_value_(true) {}
  explicit result_storage(pyossl::error&& e) : error_(std::move(e)), has_value_(false) {}
  explicit result_storage(const pyossl::error& e) : error_(e), has_value_(false) {}

 public:
  result_storage(const result_storage& other) requires std::is_copy_constructible_v<V> : has_value_(other.has_value_) {
    if (has_value_) {
      ::new (static_cast<void*>(__builtin_addressof(value_))) V(other.value_);
    } else {
      ::new (static_cast<void*>(__builtin_addressof(error_))) pyossl::error(other.error_);
    }
  }
  result_storage(result_storage&& other) noexcept(std::is_nothrow_move_constructible_v<V>)
      requires std::is_move_constructible_v<V> : has_value_(other.has_value_) {
    if (has_value_) {
      ::new (static_cast<void*>(__builtin_addressof(value_))) V(std::move(other.value_));
    } else {
      ::new (static_cast<void*>(__builtin_addressof(error_))) pyossl::error(std::move(other.error_));
    }
  }
  result_storage& operator=(const result_storage& other) requires std::is_copy_constructible_v<V> &&
      std::is_copy_assignable_v<V> {
    if (this == &other) return *this;
    if (has_value_ && other.has_value_) {
      value_ = other.value_;
    } else if (!has_value_ && !other.has_value_) {
      error_ = other.error_;
    } else {
      result_storage copy(other);  // a throwing copy leaves *this as it was
      reset();
      adopt(std::move(copy));
    }
    return *this;
  }
  result_storage& operator=(result_storage&& other) noexcept(
      std::is_nothrow_move_constructible_v<V>&& std::is_nothrow_move_assignable_v<V>)
      requires std::is_move_constructible_v<V> && std::is_move_assignable_v<V> {
    if (has_value_ && other.has_value_) {
      value_ = std::move(other.value_);
    } else if (!has_value_ && !other.has_value_) {
      error_ = std::move(other.error_);
    } else {
      reset();
      adopt(std::move(other));
    }
    return *this;
  }
  ~result_storage() { reset(); }

 protected:
  void reset() noexcept {
    if (has_value_) {
      value_.~V();
    } else {
      error_.~error();
    }
  }
  // Move-constructs from `other` into this destroyed storage.
  void adopt(result_storage&& other) noexcept(std::is_nothrow_move_constructible_v<V>) {
    if (other.has_value_) {
      ::new (static_cast<void*>(__builtin_addressof(value_))) V(std::move(other.value_));
    } else {
      ::new (static_cast<void*>(__builtin_addressof(error_))) pyossl::error(std::move(other.error_));
    }
    has_value_ = other.has_value_;
  }

  union {
    V value_;
    pyossl::error error_;
  };
  bool has_value_;
};
}  // namespace detail

template <class T>
class [[nodiscard]] result : private detail::result_storage<T> {
  using storage = detail::result_storage<T>;
  using storage::error_;
  using storage::has_value_;
  using storage::value_;

 public:
  using value_type = T;
  using error_type = pyossl::error;

  result() requires std::is_default_constructible_v<T> : storage(std::in_place) {}
  template <class U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, result> &&
           !std::is_same_v<std::remove_cvref_t<U>, unexpected<pyossl::error> >) result(U&& value)
      : storage(std::in_place, std::forward<U>(value)) {}  // NOLINT: implicit like expected
  template <class E>
  result(unexpected<E> failure) : storage(std::move(failure).error()) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return has_value_; }
  explicit operator bool() const noexcept { return has_value_; }

  [[nodiscard]] T& value() & { return checked(*this); }
  [[nodiscard]] const T& value() const& { return checked(*this); }
  [[nodiscard]] T&& value() && { return std::move(checked(*this)); }

  [[nodiscard]] const pyossl::error& error() const& noexcept { return error_; }
  [[nodiscard]] pyossl::error& error() & noexcept { return error_; }
  [[nodiscard]] pyossl::error&& error() && noexcept { return std::move(error_); }

  T& operator*() & noexcept { return value_; }
  const T& operator*() const& noexcept { return value_; }
  T&& operator*() && noexcept { return std::move(value_); }
  T* operator->() noexcept { return __builtin_addressof(value_); }
  const T* operator->() const noexcept { return __builtin_addressof(value_); }

  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_value_ ? value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  [[nodiscard]] T value_or(U&& fallback) && {
    return has_value_ ? std::move(value_) : static_cast<T>(std::forward<U>(fallback));
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
    if (has_value_) return *this;
    return std::forward<F>(f)(error_);
  }
  template <class F>
  result or_else(F&& f) && {
    if (has_value_) return std::move(*this);
    return std::forward<F>(f)(std::move(error_));
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
};

// result<void>: success carries nothing.
template <>
class [[nodiscard]] result<void> : private detail::result_storage<detail::result_empty> {
  using storage = detail::result_storage<detail::result_empty>;

 public:
  using value_type = void;
  using error_type = pyossl::error;

  result() noexcept : storage(std::in_place) {}
  template <class E>
  result(unexpected<E> failure) : storage(std::move(failure).error()) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return has_value_; }
  explicit operator bool() const noexcept { return has_value_; }
  void value() const {
    if (!has_value_) throw bad_result_access();
  }
  void operator*() const noexcept {}

  [[nodiscard]] const pyossl::error& error() const& noexcept { return error_; }
  [[nodiscard]] pyossl::error& error() & noexcept { return error_; }
  [[nodiscard]] pyossl::error&& error() && noexcept { return std::move(error_); }

  template <class F>
  auto and_then(F&& f) const& {
    using R = std::remove_cvref_t<std::invoke_result_t<F> >;
    if (!has_value_) return R(unexpected(error_));
    return std::forward<F>(f)();
  }
  template <class F>
  auto and_then(F&& f) && {
    using R = std::remove_cvref_t<std::invoke_result_t<F> >;
    if (!has_value_) return R(unexpected(std::move(error_)));
    return std::forward<F>(f)();
  }
  template <class F>
  auto transform(F&& f) const& {
    using U = std::remove_cvref_t<std::invoke_result_t<F> >;
    if (!has_value_) return result<U>(unexpected(error_));
    if constexpr (std::is_void_v<U>) {
      std::forward<F>(f)();
      return result<U>();
    } else {
      return result<U>(std::forward<F>(f)());
    }
  }
  template <class F>
  result or_else(F&& f) const& {
    if (has_value_) return *this;
    return std::forward<F>(f)(error_);
  }
};

#endif

}  // namespace pyossl
