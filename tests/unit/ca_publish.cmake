# The publisher with its thread over a file store (ca/publish.c, ocsp_table.c, crl_sched.c).
pechat_unit_test(test_ca_publish pechat_ca_fixture)
set_tests_properties(test_ca_publish PROPERTIES TIMEOUT 120)
