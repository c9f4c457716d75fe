# A subject's block revokes all its active certificates (docs/REGISTRATION.md).
pechat_integration_test(subject_block)
