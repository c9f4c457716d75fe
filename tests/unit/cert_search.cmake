# Certificate search and the portal's scope (db/cert_search.c, ra/cert_search.c).
pechat_unit_test(test_cert_search pechat_ra)
