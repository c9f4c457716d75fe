# Legal-entity requests under powers of attorney, and the CSR key checks (docs/REGISTRATION.md).
pechat_integration_test(poa_requests)
