# The subject registry over HTTPS (docs/REGISTRATION.md).
pechat_integration_test(subjects)
