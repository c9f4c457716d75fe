# CA and operator certificates are outside the subscriber API; the key ceremony (tests/integration/ca_safety.sh).
pechat_integration_test(ca_safety)
