# Delegated OCSP responder keys made on the issuer's SoftHSM2 token; renewal makes a new token key.
pechat_integration_test(responder_token)
set_tests_properties(responder_token PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
