# ceremony/: the key ceremony's hostile inputs (DN syntax, certificate files) and step refusals.
pechat_unit_test(test_ceremony pechat_ceremony pechat_ca_fixture)
pechat_unit_test(test_ceremony_rollover pechat_ca_fixture pechat_ceremony)
pechat_unit_test(test_ceremony_crl pechat_ceremony pechat_ca_fixture)
