# cmake -DCXX=... -DSTD=20 -DSOURCE=case_x.cpp -DINCLUDE_DIRS=a;b -P run_compile_fail.cmake
cmake_minimum_required(VERSION 3.21)
file(STRINGS ${SOURCE} expected_line REGEX "^// expected error: ")
if(NOT expected_line)
  message(FATAL_ERROR "${SOURCE} has no \"// expected error: <regex>\" line")
endif()
string(REGEX REPLACE "^// expected error: " "" expected_error "${expected_line}")

set(flags -std=c++${STD} -fsyntax-only -Wall -Wextra -Wpedantic -Werror)
foreach(dir IN LISTS INCLUDE_DIRS)
  list(APPEND flags -I${dir})
endforeach()

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
if(NOT out MATCHES "${expected_error}")
  message(FATAL_ERROR "${SOURCE} failed to compile, but not with \"${expected_error}\":\n${out}")
endif()
message(STATUS "rejected as expected:\n${out}")
