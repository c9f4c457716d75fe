# A revocation reaches the CRLs across SIGKILL and SIGTERM (docs/REVOCATION.md "Stops and restarts").
pechat_integration_test(crl_restart)
