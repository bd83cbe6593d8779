# The demo that `cmake --workflow --preset demo` runs: echo_server on 127.0.0.1, on a port
# the kernel picks, and echo_client talking TLS to it through that port.
#
#   cmake -DSERVER=<echo_server> -DCLIENT=<echo_client> -DWORK_DIR=<dir> -P run_demo.cmake
#
# The server makes its own self-signed certificate, writes it and then its port into
# WORK_DIR; the client waits for the port file, trusts exactly that certificate, sends a
# message and checks the echo. execute_process starts both at once (they are one pipeline,
# which is why the server logs to stderr) and fails the demo if either exits non-zero.
foreach(variable IN ITEMS SERVER CLIENT WORK_DIR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "run_demo.cmake: pass -D${variable}=...")
  endif()
endforeach()

# Optional: CLIENTS, how many connections the server serves before it exits (default 1),
# and CLIENT_ARGS, extra options for the client (the async demo opens CLIENTS at once).
if(NOT DEFINED CLIENTS)
  set(CLIENTS 1)
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

execute_process(
  COMMAND "${SERVER}" --port-file "${WORK_DIR}/port" --cert-out "${WORK_DIR}/server-cert.pem" --clients ${CLIENTS}
  COMMAND "${CLIENT}" --port-file "${WORK_DIR}/port" --cafile "${WORK_DIR}/server-cert.pem" ${CLIENT_ARGS}
          "Hello from pyossl over TLS!"
  RESULTS_VARIABLE exit_codes
  TIMEOUT 60)

list(GET exit_codes 0 server_exit)
list(GET exit_codes 1 client_exit)
if(NOT server_exit STREQUAL "0" OR NOT client_exit STREQUAL "0")
  message(FATAL_ERROR "demo failed: echo_server exited with '${server_exit}', echo_client with '${client_exit}'")
endif()
message(STATUS "demo passed: the echo matched")
