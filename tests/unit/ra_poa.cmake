pechat_unit_test(test_ra_poa pechat_ra PkgConfig::JANSSON)
target_include_directories(test_ra_poa PRIVATE ${LIBXML2_INCLUDE_DIRS})
