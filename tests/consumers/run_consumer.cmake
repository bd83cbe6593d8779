# Builds and runs one consumer project: cmake -DMODE=... -DSOURCE_DIR=... -DWORK_DIR=...
#   -DPYOSSL_BINARY_DIR=... -DCXX=... -P run_consumer.cmake
cmake_minimum_required(VERSION 3.21)
set(consumers ${SOURCE_DIR}/tests/consumers)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
  message(STATUS "${out}")
endfunction()

# MODE_compiled: the same way in, with pyossl's compiled mode.
set(compiled OFF)
if(MODE MATCHES "_compiled$")
  set(compiled ON)
  string(REGEX REPLACE "_compiled$" "" MODE "${MODE}")
endif()
set(configure_args -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Debug -DCOMPILED=${compiled})
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} --install ${PYOSSL_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} -S ${consumers}/find_package -B ${WORK_DIR}/build ${configure_args}
      -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
elseif(MODE STREQUAL "add_subdirectory")
  run(${CMAKE_COMMAND} -S ${consumers}/add_subdirectory -B ${WORK_DIR}/build ${configure_args}
      -DPYOSSL_SOURCE_DIR=${SOURCE_DIR})
elseif(MODE STREQUAL "vendored")
  file(COPY ${SOURCE_DIR}/include ${SOURCE_DIR}/src DESTINATION ${WORK_DIR}/third_party/pyossl)
  run(${CMAKE_COMMAND} -S ${consumers}/vendored -B ${WORK_DIR}/build ${configure_args}
      -DVENDORED_DIR=${WORK_DIR}/third_party/pyossl)
elseif(MODE STREQUAL "pkg_config")
  # pkg-config reads the installed pyossl.pc; compile one file with what it says.
  run(${CMAKE_COMMAND} --install ${PYOSSL_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  set(ENV{PKG_CONFIG_PATH} ${WORK_DIR}/prefix/share/pkgconfig)
  execute_process(COMMAND pkg-config --cflags --libs pyossl
    RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config does not know pyossl")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${CXX} -std=c++20 -Wall -Wextra -Wpedantic -Werror ${consumers}/main.cpp ${flags} -o ${WORK_DIR}/consumer)
  run(${WORK_DIR}/consumer)
  return()
else()
  message(FATAL_ERROR "unknown MODE ${MODE}")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)

# The user's own object file: header-only, it holds the pyossl functions it calls (inline,
# weak); compiled, it holds none of them and the library does.
file(GLOB_RECURSE user_object ${WORK_DIR}/build/CMakeFiles/consumer.dir/*main.cpp.o)
execute_process(COMMAND nm -C --defined-only ${user_object} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on '${user_object}'")
endif()
string(REGEX MATCH "pyossl::rand::bytes(\\[abi:cxx11\\])?\\(long\\)" defined "${symbols}")
if(compiled AND defined)
  message(FATAL_ERROR "compiled mode, yet the user's object defines pyossl::rand::bytes:\n${symbols}")
elseif(NOT compiled AND NOT defined)
  message(FATAL_ERROR "header-only, yet the user's object does not define pyossl::rand::bytes")
endif()
