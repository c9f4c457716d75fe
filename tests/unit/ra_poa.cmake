pechat_unit_test(test_ra_poa pechat_ra PkgConfig::JANSSON)
