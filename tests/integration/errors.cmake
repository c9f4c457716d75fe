# Idempotency under concurrency, discovery endpoints, problem details that say what to do, a repository that stands alone.
pechat_integration_test(idempotency_race)
set_tests_properties(idempotency_race PROPERTIES TIMEOUT 120)
pechat_integration_test(discovery)
pechat_integration_test(problems)
pechat_integration_test(problem_codes)
pechat_integration_test(self_contained)
