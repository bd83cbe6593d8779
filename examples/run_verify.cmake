# What `ctest -R verify_tool` runs: ca_tool makes a CA, a server certificate and an empty
# CRL; verify_tool accepts the chain, rejects it at a later (or earlier) time, for another
# host name and against another CA; ca_tool --revoke puts the server certificate on the CRL, and verify_tool then
# rejects it as revoked.
#
#   cmake -DCA_TOOL=<ca_tool> -DVERIFY_TOOL=<verify_tool> -DWORK_DIR=<dir> -P run_verify.cmake
foreach(variable IN ITEMS CA_TOOL VERIFY_TOOL WORK_DIR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "run_verify.cmake: pass -D${variable}=...")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(pki "${WORK_DIR}/pki")

# run(<expected exit code> <regex the output must match> <command...>)
function(run expected_exit expected_output)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE exit_code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
  message(STATUS "$ ${ARGN}\n${out}${err}")
  if(NOT exit_code STREQUAL expected_exit)
    message(FATAL_ERROR "exited with '${exit_code}', expected ${expected_exit}")
  endif()
  if(NOT "${out}${err}" MATCHES "${expected_output}")
    message(FATAL_ERROR "output does not match '${expected_output}'")
  endif()
endfunction()

run(0 "wrote .*crl.pem" "${CA_TOOL}" "${pki}" localhost secret)

run(0 "server.pem: OK\nChain:\ndepth=0: O = pyossl example CA, CN = localhost \\(untrusted\\)\ndepth=1: O = pyossl example CA, CN = pyossl example root\n"
  "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" "${pki}/server.pem")
run(0 "server.pem: OK"
  "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" --untrusted "${pki}/ca.pem" --crl "${pki}/crl.pem" --host localhost
  "${pki}/server.pem")
run(2 "CN = localhost\nerror 62 at 0 depth lookup: hostname mismatch\nerror .*server.pem: verification failed"
  "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" --host example.org "${pki}/server.pem")
run(2 "error 10 at 0 depth lookup: certificate has expired"
  "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" --at 2030-06-01T00:00:00Z "${pki}/server.pem")
run(2 "error 9 at 1 depth lookup: certificate is not yet valid"
  "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" --at 2001-01-01T00:00:00Z "${pki}/server.pem")
# Another CA did not issue it.
run(0 "wrote" "${CA_TOOL}" "${WORK_DIR}/other" localhost secret)
run(2 "error 20 at 0 depth lookup: unable to get local issuer certificate"
  "${VERIFY_TOOL}" --cafile "${WORK_DIR}/other/ca.pem" "${pki}/server.pem")

run(0 "revoked:  serial [0-9A-F]+ \\(Key Compromise\\)"
  "${CA_TOOL}" --revoke "${pki}" "${pki}/server.pem" keyCompromise secret)
run(0 "already revoked" "${CA_TOOL}" --revoke "${pki}" "${pki}/server.pem" keyCompromise secret)
run(2 "error 23 at 0 depth lookup: certificate revoked"
  "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" --crl "${pki}/crl.pem" "${pki}/server.pem")
# Without the CRL the revocation is not seen: nothing is checked that was not asked for.
run(0 "server.pem: OK" "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" "${pki}/server.pem")
run(1 "verify_tool: " "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" --at tomorrow "${pki}/server.pem")
message(STATUS "verify_tool and ca_tool --revoke behaved")
