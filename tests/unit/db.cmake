pechat_unit_test(test_db pechat_db)
