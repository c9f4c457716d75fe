# The store writer (group commit) in a running pechatd: concurrent issuance, every write through it, batches.
pechat_integration_test(group_commit)
set_tests_properties(group_commit PROPERTIES TIMEOUT 120)
