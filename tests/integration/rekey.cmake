# Code word and self-service re-key (docs/REGISTRATION.md, "Code word and re-key").
pechat_integration_test(rekey)
