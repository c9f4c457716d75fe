# A keep-alive connection sees operator and operator-certificate changes of any process on its next request (tests/integration/auth_cache.sh).
pechat_integration_test(auth_cache)
