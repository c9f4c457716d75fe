# README "Try it" and scripts/demo as a test; the first-hour CLI (init, operator list, --version).
pechat_integration_test(readme)
set_tests_properties(readme PROPERTIES TIMEOUT 120)
pechat_integration_test(cli)
