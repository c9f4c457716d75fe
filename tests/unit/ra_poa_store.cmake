# Stored powers of attorney (ra/poa_store.c, db/poas.c).
pechat_unit_test(test_ra_poa_store pechat_ra PkgConfig::JANSSON)
