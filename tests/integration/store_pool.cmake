# The API listener's threads reuse the store connections of ended threads (tests/integration/store_pool.sh).
pechat_integration_test(store_pool)
