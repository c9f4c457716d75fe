# config/pechat.example.json loads, uses every key and matches the built-in defaults.
add_executable(test_config_example unit/test_config_example.c)
target_link_libraries(test_config_example PRIVATE pechat_config PkgConfig::CMOCKA)
add_test(NAME test_config_example COMMAND test_config_example)
set_tests_properties(test_config_example PROPERTIES LABELS unit
  ENVIRONMENT "PECHAT_CONFIG_EXAMPLE=${CMAKE_SOURCE_DIR}/config/pechat.example.json")
