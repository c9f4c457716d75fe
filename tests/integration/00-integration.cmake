# Integration tests: real pechatd, real curl/openssl, label "integration".
function(pechat_integration_test name)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${name}.sh)
  set_tests_properties(${name} PROPERTIES LABELS integration TIMEOUT 300
    ENVIRONMENT "PECHAT_BIN=${CMAKE_BINARY_DIR}/cmd;PECHAT_TEST_DATA=${CMAKE_CURRENT_SOURCE_DIR}/data")
endfunction()

pechat_integration_test(issuance)
pechat_integration_test(refusals)
pechat_integration_test(lifecycle)
pechat_integration_test(revocation)
