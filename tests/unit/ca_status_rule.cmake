# The one certificate-status rule (ca/status.c).
pechat_unit_test(test_ca_status_rule pechat_ca_fixture)
