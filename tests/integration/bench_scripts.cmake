# bench/ scripts: syntax and usage refusals only (< 5 s); the benchmarks themselves never run in ctest.
pechat_integration_test(bench_scripts)
set_tests_properties(bench_scripts PROPERTIES TIMEOUT 60)
