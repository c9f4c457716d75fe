# Powers of attorney over HTTPS (docs/REGISTRATION.md).
pechat_integration_test(powers)
