# Qualified certificates on GOST R 34.10-2012 from the verified registry (docs/PROFILES.md); needs gost-engine.
pechat_integration_test(qualified)
set_tests_properties(qualified PROPERTIES SKIP_RETURN_CODE 77)
