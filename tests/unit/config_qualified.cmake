# The keys of qualified certificates and the load-time rules of a qualified profile (config/qualified.c).
pechat_unit_test(test_config_qualified pechat_config)
