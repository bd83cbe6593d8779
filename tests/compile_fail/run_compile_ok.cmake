# cmake -DCXX=... -DSTD=20 -DSOURCE=ok_x.cpp -DINCLUDE_DIRS=a;b -P run_compile_ok.cmake
# SOURCE must compile, warning-free, with the flags of its "// compile flags: ..." line.
cmake_minimum_required(VERSION 3.21)
file(STRINGS ${SOURCE} flags_line REGEX "^// compile flags: ")
if(NOT flags_line)
  message(FATAL_ERROR "${SOURCE} has no \"// compile flags: <flags>\" line")
endif()
string(REGEX REPLACE "^// compile flags: " "" case_flags "${flags_line}")
separate_arguments(case_flags UNIX_COMMAND "${case_flags}")

set(flags -std=c++${STD} -fsyntax-only -Wall -Wextra -Wpedantic -Werror)
foreach(dir IN LISTS INCLUDE_DIRS)
  list(APPEND flags -I${dir})
endforeach()

execute_process(COMMAND ${CXX} ${flags} ${case_flags} ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} does not compile with ${case_flags}:\n${out}")
endif()
