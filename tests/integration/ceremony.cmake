# The key ceremony with an offline root and issuing keys on a SoftHSM2 token (docs/OPERATIONS.md).
pechat_integration_test(ceremony)
set_tests_properties(ceremony PROPERTIES SKIP_RETURN_CODE 77)
