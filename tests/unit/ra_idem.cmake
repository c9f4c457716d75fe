# The Idempotency-Key of the creating calls (ra/idem.c, db/idem.c): subject create, document, re-key.
pechat_unit_test(test_ra_idem pechat_ra_fixture)
