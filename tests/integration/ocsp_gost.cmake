# OCSP for a GOST issuer with SHA-1, SHA-256, Streebog-256 and Streebog-512 CertIDs: pre-signed and
# kept answers, their refresh and revocation (docs/REVOCATION.md "The pre-signed OCSP cache").
pechat_integration_test(ocsp_gost)
set_tests_properties(ocsp_gost PROPERTIES SKIP_RETURN_CODE 77)
