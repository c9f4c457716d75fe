# An issuer key unavailable or not matching its certificate at start-up (docs/OPERATIONS.md).
pechat_integration_test(key_readiness)
