pechat_unit_test(test_ra_validators pechat_ra)
pechat_unit_test(test_ra_csr_owner pechat_ra)
# Shared helpers of the ra/ unit tests over a ca_fixture (store-file reads, a registered individual).
add_library(pechat_ra_fixture STATIC unit/ra_fixture.c)
target_link_libraries(pechat_ra_fixture PUBLIC pechat_ca_fixture pechat_ra)
pechat_unit_test(test_ra_lint_failed pechat_ra_fixture)
pechat_unit_test(test_ra_submit_txn pechat_ra_fixture)
# ra/ tells the publisher of struct ra_ca what ca/ reports (issuance, revocation) before its call returns.
pechat_unit_test(test_ra_publish pechat_ra_fixture)
set_tests_properties(test_ra_publish PROPERTIES TIMEOUT 60)
