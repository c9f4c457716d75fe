# Code word and self-service re-key (ra/codeword.c, ra/rekey.c, ca_issue's in-transaction hook).
pechat_unit_test(test_ra_rekey pechat_ra_fixture)
