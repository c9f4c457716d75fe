# A qualified request's sign tool and identificationKind (ra/qualified.c), stored and issued.
pechat_unit_test(test_ra_qualified pechat_ra_fixture)
