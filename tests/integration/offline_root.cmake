# The offline root's CRL (ceremony revoke/crl/import-crl, served by pechatd) and an offline-root
# rollover with `ceremony import --succeeds` (docs/OPERATIONS.md "The offline root's CRL").
pechat_integration_test(offline_root)
