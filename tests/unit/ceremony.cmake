# The key ceremony's CLI-only module (ceremony/): rollover and issuer generations.
pechat_unit_test(test_ceremony_rollover pechat_ca_fixture pechat_ceremony)
