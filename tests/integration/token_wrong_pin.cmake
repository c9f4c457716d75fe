# pechatd with an issuer key behind a wrong PIN: starts, 503s, exactly one C_Login (pkcs11-spy).
pechat_integration_test(token_wrong_pin)
set_tests_properties(token_wrong_pin PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
