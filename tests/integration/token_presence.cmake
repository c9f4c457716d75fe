# A key's token pulled and returned through the hsm/ test seam (docs/OPERATIONS.md "Token presence").
pechat_integration_test(token_presence)
