# web/ reads the store only; every state change goes through ra/ (docs/ARCHITECTURE.md). Needs no daemon.
pechat_integration_test(layering)
