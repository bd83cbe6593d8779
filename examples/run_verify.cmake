# What `ctest -R verify_tool` runs: ca_tool makes a CA, a server certificate and an empty
# CRL; verify_tool accepts the chain, rejects it at a later (or earlier) time, for another
# host name and against another CA; ca_tool --revoke puts the server certificate on the CRL, and verify_tool then
# rejects it as revoked. On a three-level chain made with the openssl CLI, and on ca_tool's
# files, verify_tool prints exactly what `openssl verify -show_chain` prints.
#
#   cmake -DCA_TOOL=<ca_tool> -DVERIFY_TOOL=<verify_tool> [-DOPENSSL=<openssl>] -DWORK_DIR=<dir> -P run_verify.cmake
#
# Without a working OPENSSL the comparisons with `openssl verify` are skipped, saying so.
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

# same_as_openssl(<openssl verify arguments> -- <verify_tool arguments>): both exit the same
# way and print the same lines.
if(DEFINED OPENSSL AND EXISTS "${OPENSSL}")
  set(have_openssl TRUE)
else()
  set(have_openssl FALSE)
  message(STATUS "no openssl CLI: verify_tool is not compared with openssl verify")
endif()

function(same_as_openssl)
  if(NOT have_openssl)
    return()
  endif()
  list(FIND ARGN "--" split)
  list(SUBLIST ARGN 0 ${split} openssl_args)
  math(EXPR tool_at "${split} + 1")
  list(SUBLIST ARGN ${tool_at} -1 tool_args)
  execute_process(COMMAND "${OPENSSL}" verify -show_chain ${openssl_args}
    RESULT_VARIABLE openssl_exit OUTPUT_VARIABLE openssl_out ERROR_VARIABLE openssl_err TIMEOUT 30)
  execute_process(COMMAND "${VERIFY_TOOL}" ${tool_args}
    RESULT_VARIABLE tool_exit OUTPUT_VARIABLE tool_out ERROR_VARIABLE tool_err TIMEOUT 30)
  message(STATUS "$ openssl verify -show_chain ${openssl_args}\n${openssl_out}${openssl_err}")
  message(STATUS "$ verify_tool ${tool_args}\n${tool_out}${tool_err}")
  if(NOT "${tool_out}${tool_err}" STREQUAL "${openssl_out}${openssl_err}")
    message(FATAL_ERROR "verify_tool and openssl verify print different lines")
  endif()
  if(NOT (openssl_exit EQUAL 0) STREQUAL (tool_exit EQUAL 0) OR NOT tool_exit MATCHES "^[02]$")
    message(FATAL_ERROR "exit codes differ: openssl ${openssl_exit}, verify_tool ${tool_exit}")
  endif()
endfunction()

# A root, an intermediate and a leaf, made with the openssl CLI.
if(have_openssl)
set(three "${WORK_DIR}/three")
file(MAKE_DIRECTORY "${three}")
file(WRITE "${three}/ca.ext" "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
set(ec -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
foreach(step IN ITEMS
    "req;-x509;${ec};-keyout;root.key;-out;root.pem;-subj;/CN=three root;-days;30;-addext;basicConstraints=critical,CA:TRUE;-addext;keyUsage=critical,keyCertSign,cRLSign"
    "req;${ec};-keyout;int.key;-out;int.csr;-subj;/CN=three intermediate"
    "x509;-req;-in;int.csr;-CA;root.pem;-CAkey;root.key;-set_serial;2;-days;30;-extfile;ca.ext;-out;int.pem"
    "req;${ec};-keyout;leaf.key;-out;leaf.csr;-subj;/CN=three leaf"
    "x509;-req;-in;leaf.csr;-CA;int.pem;-CAkey;int.key;-set_serial;3;-days;30;-out;leaf.pem")
  execute_process(COMMAND "${OPENSSL}" ${step} WORKING_DIRECTORY "${three}" RESULT_VARIABLE made
    OUTPUT_QUIET ERROR_VARIABLE why TIMEOUT 30)
  if(NOT made EQUAL 0)
    message(FATAL_ERROR "openssl ${step} failed: ${why}")
  endif()
endforeach()
file(READ "${three}/root.pem" root_pem)
file(READ "${three}/int.pem" int_pem)
file(WRITE "${three}/both.pem" "${root_pem}${int_pem}")
# The intermediate untrusted, trusted (in the CA file), and in both files.
same_as_openssl(-CAfile "${three}/root.pem" -untrusted "${three}/int.pem" "${three}/leaf.pem"
  -- --cafile "${three}/root.pem" --untrusted "${three}/int.pem" "${three}/leaf.pem")
same_as_openssl(-CAfile "${three}/both.pem" "${three}/leaf.pem" -- --cafile "${three}/both.pem" "${three}/leaf.pem")
same_as_openssl(-CAfile "${three}/both.pem" -untrusted "${three}/both.pem" "${three}/leaf.pem"
  -- --cafile "${three}/both.pem" --untrusted "${three}/both.pem" "${three}/leaf.pem")
# A trusted self-signed certificate alone, and a missing issuer.
same_as_openssl(-CAfile "${three}/root.pem" "${three}/root.pem" -- --cafile "${three}/root.pem" "${three}/root.pem")
same_as_openssl(-CAfile "${three}/root.pem" "${three}/leaf.pem" -- --cafile "${three}/root.pem" "${three}/leaf.pem")
endif()

run(0 "wrote .*crl.pem" "${CA_TOOL}" "${pki}" localhost secret)
same_as_openssl(-CAfile "${pki}/ca.pem" -crl_check -CRLfile "${pki}/crl.pem" -verify_hostname localhost "${pki}/server.pem"
  -- --cafile "${pki}/ca.pem" --crl "${pki}/crl.pem" --host localhost "${pki}/server.pem")
same_as_openssl(-CAfile "${pki}/ca.pem" -verify_hostname example.org "${pki}/server.pem"
  -- --cafile "${pki}/ca.pem" --host example.org "${pki}/server.pem")
same_as_openssl(-CAfile "${pki}/ca.pem" -attime 1906502400 "${pki}/server.pem"
  -- --cafile "${pki}/ca.pem" --at 2030-06-01T00:00:00Z "${pki}/server.pem")
same_as_openssl(-CAfile "${pki}/ca.pem" -attime 978307200 "${pki}/server.pem"
  -- --cafile "${pki}/ca.pem" --at 2001-01-01T00:00:00Z "${pki}/server.pem")

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
run(1 "unknown revocation reason .stolen." "${CA_TOOL}" --revoke "${pki}" "${pki}/server.pem" stolen secret)
run(1 "cannot read .*missing.pem" "${CA_TOOL}" --revoke "${pki}" "${pki}/missing.pem" keyCompromise secret)
run(2 "error 23 at 0 depth lookup: certificate revoked"
  "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" --crl "${pki}/crl.pem" "${pki}/server.pem")
same_as_openssl(-CAfile "${pki}/ca.pem" -crl_check -CRLfile "${pki}/crl.pem" "${pki}/server.pem"
  -- --cafile "${pki}/ca.pem" --crl "${pki}/crl.pem" "${pki}/server.pem")
same_as_openssl(-CAfile "${pki}/ca.pem" -crl_check_all -CRLfile "${pki}/crl.pem" "${pki}/server.pem"
  -- --cafile "${pki}/ca.pem" --crl "${pki}/crl.pem" --crl-check-all "${pki}/server.pem")
# Without the CRL the revocation is not seen: nothing is checked that was not asked for.
run(0 "server.pem: OK" "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" "${pki}/server.pem")
run(1 "verify_tool: " "${VERIFY_TOOL}" --cafile "${pki}/ca.pem" --at tomorrow "${pki}/server.pem")
message(STATUS "verify_tool and ca_tool --revoke behaved")
