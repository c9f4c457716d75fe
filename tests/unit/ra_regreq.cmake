# Requests against the subject registry (ra/regreq.c, ra/request.c).
pechat_unit_test(test_ra_regreq pechat_ca_fixture pechat_ra)
# Legal-entity POA checks, name normalisation, CSR key checks, certificate_keys backfill.
pechat_unit_test(test_ra_poa_checks pechat_ca_fixture pechat_ra)
