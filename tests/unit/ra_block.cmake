# The block of a registry subject revoking its certificates (ra/block.c, ra/subjects.c, db/subject_certs.c).
pechat_unit_test(test_ra_block pechat_ra_fixture)
# The RA's entries to certificate and operator status changes (ra/certificates.c, ra/operators.c).
pechat_unit_test(test_ra_certificates pechat_ca_fixture pechat_ra)
