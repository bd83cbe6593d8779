# cmake -DMODE=fail|ok -DCXX=... -DSTD=20 -DSOURCE=x.cpp -DINCLUDE_DIRS=a;b -P run_compile_check.cmake
#   fail: SOURCE (case_*.cpp) compiles as is, and with PYOSSL_COMPILE_FAIL defined must fail
#         with an error matching its "// expected error: <regex>" line.
#   ok:   SOURCE (ok_*.cpp) compiles, warning-free, with the flags of its
#         "// compile flags: <flags>" line.
cmake_minimum_required(VERSION 3.21)
if(MODE STREQUAL "fail")
  set(marker "// expected error: ")
elseif(MODE STREQUAL "ok")
  set(marker "// compile flags: ")
else()
  message(FATAL_ERROR "run_compile_check.cmake: MODE is fail or ok, not '${MODE}'")
endif()
file(STRINGS ${SOURCE} marker_line REGEX "^${marker}")
if(NOT marker_line)
  message(FATAL_ERROR "${SOURCE} has no \"${marker}...\" line")
endif()
string(REGEX REPLACE "^${marker}" "" marker_value "${marker_line}")

set(flags -std=c++${STD} -fsyntax-only -Wall -Wextra -Wpedantic -Werror)
foreach(dir IN LISTS INCLUDE_DIRS)
  list(APPEND flags -I${dir})
endforeach()

if(MODE STREQUAL "ok")
  separate_arguments(case_flags UNIX_COMMAND "${marker_value}")
  execute_process(COMMAND ${CXX} ${flags} ${case_flags} ${SOURCE}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} does not compile with ${case_flags}:\n${out}")
  endif()
  return()
endif()

execute_process(COMMAND ${CXX} ${flags} ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the well-formed half of ${SOURCE} does not compile:\n${out}")
endif()

execute_process(COMMAND ${CXX} ${flags} -DPYOSSL_COMPILE_FAIL ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled with PYOSSL_COMPILE_FAIL, but must not")
endif()
if(NOT out MATCHES "${marker_value}")
  message(FATAL_ERROR "${SOURCE} failed to compile, but not with \"${marker_value}\":\n${out}")
endif()
message(STATUS "rejected as expected:\n${out}")
