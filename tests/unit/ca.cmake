# Shared fixture of the ca/ and hsm/ unit tests (temp dir, config, fake clock, store, struct ca).
add_library(pechat_ca_fixture STATIC unit/ca_fixture.c)
target_link_libraries(pechat_ca_fixture PUBLIC pechat_ceremony pechat_ca_conf pechat_ca PkgConfig::CMOCKA)

pechat_unit_test(test_ca_csr pechat_ca_fixture)
pechat_unit_test(test_ca_csr_read pechat_ca_fixture)
pechat_unit_test(test_ca_policy pechat_ca_fixture)
pechat_unit_test(test_ca_subject pechat_ca)
pechat_unit_test(test_ca_serial pechat_ca)
pechat_unit_test(test_ca_lint pechat_ca_fixture)
pechat_unit_test(test_ca_issue pechat_ca_fixture)
# the linter's cases (one per rule) for test_ca_lint_rules
add_library(pechat_lint_cases STATIC unit/lint_cases.c)
target_link_libraries(pechat_lint_cases PUBLIC pechat_ca_fixture)
pechat_unit_test(test_ca_lint_rules pechat_lint_cases)
