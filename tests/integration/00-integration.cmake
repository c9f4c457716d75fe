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
pechat_integration_test(gost)
set_tests_properties(gost PROPERTIES SKIP_RETURN_CODE 77)
pechat_integration_test(crl_burst)
# The burst test revokes 1,000 certificates; the sanitizer build is several times
# slower, so it revokes fewer there (the coalescing bound scales with the duration).
if(CMAKE_BUILD_TYPE STREQUAL "asan")
  set_property(TEST crl_burst APPEND PROPERTY ENVIRONMENT "PECHAT_BURST=250")
endif()
set_tests_properties(crl_burst PROPERTIES LABELS "integration;slow" TIMEOUT 600)
