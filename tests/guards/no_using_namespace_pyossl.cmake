# cmake -DSOURCE_DIR=<pyossl checkout> -P no_using_namespace_pyossl.cmake
# Fails if the examples, or code blocks in README.md or docs/porting.md, say `using
# namespace pyossl...`: `using namespace pyossl::crypto;` makes X509, PKCS7 and PKCS12
# ambiguous with OpenSSL's global typedefs, and the docs teach namespace aliases instead
# (issue 13 item 7; one came back once, in the README's TLS client).
cmake_minimum_required(VERSION 3.21)
set(pattern "using[ \t]+namespace[ \t]+(::)?pyossl")
set(violations "")

# Appends "<file>:<line>: <text>" for each element of the list named `lines_variable` (one
# per line, numbered from 1) whose code, with any // comment removed, matches the pattern.
# `fenced_only` looks inside ``` fences only (Markdown prose may name the idiom it warns
# against). The list is passed by name: expanding it would drop the empty lines.
function(check_lines shown_name fenced_only lines_variable)
  set(number 0)
  set(in_fence FALSE)
  foreach(line IN LISTS ${lines_variable})
    math(EXPR number "${number} + 1")
    if(line MATCHES "^[ \t]*```")
      if(in_fence)
        set(in_fence FALSE)
      else()
        set(in_fence TRUE)
      endif()
      continue()
    endif()
    if(fenced_only AND NOT in_fence)
      continue()
    endif()
    string(REGEX REPLACE "//.*" "" code "${line}")
    if(code MATCHES "${pattern}")
      list(APPEND violations "${shown_name}:${number}: ${line}")
    endif()
  endforeach()
  set(violations "${violations}" PARENT_SCOPE)
endfunction()

file(GLOB examples ${SOURCE_DIR}/examples/*.cpp ${SOURCE_DIR}/examples/*.hpp)
if(NOT examples)
  message(FATAL_ERROR "no examples found under ${SOURCE_DIR}/examples: wrong SOURCE_DIR?")
endif()
foreach(path IN LISTS examples ITEMS ${SOURCE_DIR}/README.md ${SOURCE_DIR}/docs/porting.md)
  if(NOT EXISTS ${path})
    message(FATAL_ERROR "${path} is missing")
  endif()
  # One list element per line: stand-ins for what a CMake list treats specially (";" splits,
  # "\" escapes the separator, "[" ... "]" keeps it from splitting).
  file(READ ${path} text)
  string(REPLACE "\\" "<backslash>" text "${text}")
  string(REPLACE ";" "<semicolon>" text "${text}")
  string(REPLACE "[" "<open>" text "${text}")
  string(REPLACE "]" "<close>" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  file(RELATIVE_PATH shown ${SOURCE_DIR} ${path})
  if(path MATCHES "\\.md$")
    check_lines(${shown} TRUE lines)
  else()
    check_lines(${shown} FALSE lines)
  endif()
endforeach()

if(violations)
  list(JOIN violations "\n  " shown)
  string(REPLACE "<backslash>" "\\" shown "${shown}")
  string(REPLACE "<semicolon>" ";" shown "${shown}")
  string(REPLACE "<open>" "[" shown "${shown}")
  string(REPLACE "<close>" "]" shown "${shown}")
  message(FATAL_ERROR "use namespace aliases (namespace crypto = pyossl::crypto;), not:\n  ${shown}")
endif()
