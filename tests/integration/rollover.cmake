# Issuing CA key rollover: `pechat ceremony rollover`, both generations published (docs/OPERATIONS.md).
pechat_integration_test(rollover)
