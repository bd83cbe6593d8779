// Flag enums that combine with |, &, ^ and ~ (VERIFY_PEER | VERIFY_FAIL_IF_NO_PEER_CERT).
//
// An enum opts in by specialising bitmask_enum; its namespace then brings the operators
// in with using-declarations, so argument-dependent lookup finds them from user code.
#pragma once

#include <type_traits>

namespace pyossl::detail {

template <class E>
struct bitmask_enum : std::false_type {};

template <class E>
concept bitmask = std::is_enum_v<E> && bitmask_enum<E>::value;

namespace bitmask_operators {

template <bitmask E>
[[nodiscard]] constexpr E operator|(E a, E b) noexcept {
  using U = std::underlying_type_t<E>;
  return static_cast<E>(static_cast<U>(a) | static_cast<U>(b));
}
template <bitmask E>
[[nodiscard]] constexpr E operator&(E a, E b) noexcept {
  using U = std::underlying_type_t<E>;
  return static_cast<E>(static_cast<U>(a) & static_cast<U>(b));
}
template <bitmask E>
[[nodiscard]] constexpr E operator^(E a, E b) noexcept {
  using U = std::underlying_type_t<E>;
  return static_cast<E>(static_cast<U>(a) ^ static_cast<U>(b));
}
template <bitmask E>
[[nodiscard]] constexpr E operator~(E a) noexcept {
  using U = std::underlying_type_t<E>;
  return static_cast<E>(~static_cast<U>(a));
}
template <bitmask E>
constexpr E& operator|=(E& a, E b) noexcept {
  return a = a | b;
}
template <bitmask E>
constexpr E& operator&=(E& a, E b) noexcept {
  return a = a & b;
}

}  // namespace bitmask_operators

// True if any flag of `which` is set in `flags`.
template <bitmask E>
[[nodiscard]] constexpr bool any_of(E flags, E which) noexcept {
  return (static_cast<std::underlying_type_t<E>>(flags) & static_cast<std::underlying_type_t<E>>(which)) != 0;
}

}  // namespace pyossl::detail
