# The Idempotency-Key of every creating POST besides /api/v1/requests (docs/API.md, "Idempotency").
pechat_integration_test(idempotency)
