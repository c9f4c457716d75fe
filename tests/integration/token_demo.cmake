# `scripts/demo --token`: issuing CA keys on a SoftHSM2 token, init + pechatd + issuance verified with openssl.
pechat_integration_test(token_demo)
set_tests_properties(token_demo PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
