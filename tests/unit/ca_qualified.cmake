# The extensions of qualified certificates (ca/qualified.c), decoded back with OpenSSL.
pechat_unit_test(test_ca_qualified pechat_ca_fixture)
