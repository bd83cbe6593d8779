# cmake -DSOURCE_DIR=<pyossl checkout> -P layering.cmake
# Fails if a header reaches up past its layer (STYLE.md: error.hpp and detail/ depend on
# nothing above them; crypto/ and net/ know nothing of ssl/). header_check compiles each
# header alone, which cannot see this.
cmake_minimum_required(VERSION 3.21)
set(include_dir ${SOURCE_DIR}/include)
set(violations "")

# Appends "<header>: <include>" to `violations` for each pyossl include of `header` that
# matches `forbidden` (a regex over the path after "pyossl/").
function(check_includes header forbidden)
  file(STRINGS ${header} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]pyossl/")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]pyossl/([^>\"]*)[>\"].*" "\\1" included "${line}")
    if(included MATCHES "${forbidden}")
      file(RELATIVE_PATH shown ${include_dir} ${header})
      list(APPEND violations "${shown} includes pyossl/${included}")
    endif()
  endforeach()
  set(violations "${violations}" PARENT_SCOPE)
endfunction()

# detail/ and error.hpp: nothing but detail/ and error.hpp.
file(GLOB detail_headers ${include_dir}/pyossl/detail/*.hpp)
foreach(header IN LISTS detail_headers ITEMS ${include_dir}/pyossl/error.hpp)
  check_includes(${header} "^(crypto|ssl|net|asio|rand)([/.]|$)|^(pyossl|crypto|ssl|net|asio|rand)\\.hpp$")
endforeach()
# crypto/ (its detail/ too): nothing of ssl/, net/ or the Asio layer.
file(GLOB_RECURSE crypto_headers ${include_dir}/pyossl/crypto/*.hpp)
foreach(header IN LISTS crypto_headers)
  check_includes(${header} "^(ssl|net|asio)([/.]|$)|^pyossl\\.hpp$")
endforeach()
# net/: nothing of ssl/ or the Asio layer.
file(GLOB_RECURSE net_headers ${include_dir}/pyossl/net/*.hpp)
foreach(header IN LISTS net_headers)
  check_includes(${header} "^(ssl|asio)([/.]|$)|^pyossl\\.hpp$")
endforeach()

if(NOT detail_headers OR NOT crypto_headers OR NOT net_headers)
  message(FATAL_ERROR "no headers found under ${include_dir}/pyossl: wrong SOURCE_DIR?")
endif()
if(violations)
  list(JOIN violations "\n  " shown)
  message(FATAL_ERROR "headers reach above their layer:\n  ${shown}")
endif()
