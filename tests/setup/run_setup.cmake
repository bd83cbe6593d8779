# cmake -DMODE=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... -P run_setup.cmake
#   install_without_catch2: with Catch2 hidden and no way to obtain it, the README's install
#     recipe (`cmake -S . -B build && cmake --install build`) configures with the tests off
#     and installs; -DBUILD_TESTING=OFF does so silently; asking for the tests fails with
#     one line saying what to install.
#   catch2_from_deb: with the installed Catch2 hidden, a project using cmake/pyossl_catch2.cmake
#     gets Catch2 from `apt-get download catch2` and builds and runs a Catch2 test with it.
#     Skipped (not failed) where apt-get download cannot fetch the package (offline, no apt).
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# run(<output-var> <command>...): runs a command; its exit code goes to <output-var>_rc.
function(run out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  # CMake wraps warnings and errors: match on the text with its line breaks folded.
  string(REGEX REPLACE "[ \n]+" " " out "${out}")
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${out_var}_rc "${rc}" PARENT_SCOPE)
endfunction()
function(must_succeed out rc what)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
endfunction()

set(no_catch2 -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON)

if(MODE STREQUAL "install_without_catch2")
  # The README's recipe, on a machine where Catch2 is neither installed nor obtainable.
  run(out ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build ${no_catch2} -DPYOSSL_CATCH2_SOURCES=)
  must_succeed("${out}" "${out_rc}" "configuring without Catch2")
  if(NOT out MATCHES "pyossl's tests need Catch2[^.]*the tests are off")
    message(FATAL_ERROR "configuring without Catch2 did not warn that the tests are off:\n${out}")
  endif()
  file(STRINGS ${WORK_DIR}/build/CMakeCache.txt tests_line REGEX "^PYOSSL_BUILD_TESTS:")
  if(NOT tests_line STREQUAL "PYOSSL_BUILD_TESTS:BOOL=OFF")
    message(FATAL_ERROR "without Catch2 the tests should default to off, cache has: ${tests_line}")
  endif()
  run(out ${CMAKE_COMMAND} --install ${WORK_DIR}/build --prefix ${WORK_DIR}/prefix)
  must_succeed("${out}" "${out_rc}" "cmake --install")
  foreach(file IN ITEMS share/pyossl/cmake/pyossl-config.cmake share/pyossl/cmake/pyossl-targets.cmake
                        share/pkgconfig/pyossl.pc include/pyossl/pyossl.hpp)
    if(NOT EXISTS ${WORK_DIR}/prefix/${file})
      message(FATAL_ERROR "cmake --install did not install ${file}:\n${out}")
    endif()
  endforeach()

  # BUILD_TESTING=OFF (CTest's switch): no attempt to find Catch2, no warning.
  run(out ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build-off ${no_catch2} -DPYOSSL_CATCH2_SOURCES=
      -DBUILD_TESTING=OFF)
  must_succeed("${out}" "${out_rc}" "configuring with -DBUILD_TESTING=OFF")
  if(out MATCHES "Catch2: |need Catch2")
    message(FATAL_ERROR "-DBUILD_TESTING=OFF still looked for Catch2:\n${out}")
  endif()

  # Tests asked for explicitly (as the presets do): a clear error, not a silent skip.
  run(out ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build-on ${no_catch2} -DPYOSSL_CATCH2_SOURCES=
      -DPYOSSL_BUILD_TESTS=ON)
  if(out_rc EQUAL 0)
    message(FATAL_ERROR "-DPYOSSL_BUILD_TESTS=ON without Catch2 configured, but must fail:\n${out}")
  endif()
  if(NOT out MATCHES "install it \\(Debian/Ubuntu: sudo apt-get install catch2\\)")
    message(FATAL_ERROR "-DPYOSSL_BUILD_TESTS=ON without Catch2 failed without saying what to install:\n${out}")
  endif()
  message(STATUS "installed without Catch2; -DPYOSSL_BUILD_TESTS=ON says:\n${out}")

elseif(MODE STREQUAL "catch2_from_deb")
  run(out ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/setup/catch2_project -B ${WORK_DIR}/build ${no_catch2}
      -DPYOSSL_SOURCE_DIR=${SOURCE_DIR} -DPYOSSL_CATCH2_SOURCES=deb)
  if(NOT out_rc EQUAL 0 AND out MATCHES "Catch2: (apt-get download catch2 failed|no apt-get/dpkg-deb here)")
    message("setup test skipped: apt-get download catch2 does not work here (${CMAKE_MATCH_0})")
    return()
  endif()
  must_succeed("${out}" "${out_rc}" "configuring with Catch2 from the Debian package")
  if(NOT out MATCHES "Catch2: using deb")
    message(FATAL_ERROR "Catch2 did not come from the Debian package:\n${out}")
  endif()
  run(out ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
  must_succeed("${out}" "${out_rc}" "building with Catch2 from the Debian package")
  run(out ${WORK_DIR}/build/catch2_check)
  must_succeed("${out}" "${out_rc}" "running the Catch2 test")
  if(NOT out MATCHES "All tests passed")
    message(FATAL_ERROR "the Catch2 test ran but did not pass:\n${out}")
  endif()
  # A configure again reuses the extracted package instead of downloading it again.
  run(out ${CMAKE_COMMAND} ${WORK_DIR}/build)
  must_succeed("${out}" "${out_rc}" "configuring again")
  if(out MATCHES "apt-get download" OR NOT out MATCHES "Catch2: using deb")
    message(FATAL_ERROR "a second configure did not reuse the extracted package:\n${out}")
  endif()
  message(STATUS "Catch2 from the Debian package built and ran a test")
else()
  message(FATAL_ERROR "unknown MODE ${MODE}")
endif()
