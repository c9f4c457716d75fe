# Requests against the subject registry (ra/regreq.c, ra/request.c).
pechat_unit_test(test_ra_regreq pechat_ra_fixture)
# Legal-entity POA checks, name normalisation, CSR key checks, certificate_keys backfill.
pechat_unit_test(test_ra_poa_checks pechat_ra_fixture)
