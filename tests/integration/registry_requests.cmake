# Requests against the subject registry (docs/REGISTRATION.md).
pechat_integration_test(registry_requests)
