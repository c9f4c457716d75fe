# Requests against the subject registry (ra/regreq.c, ra/request.c).
pechat_unit_test(test_ra_regreq pechat_ca_fixture pechat_ra)
