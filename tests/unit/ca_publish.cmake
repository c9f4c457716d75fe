# The publisher with its thread over a file store (ca/publish.c, ocsp_table.c, crl_sched.c).
pechat_unit_test(test_ca_publish pechat_ca_fixture)
set_tests_properties(test_ca_publish PROPERTIES TIMEOUT 120)
# OCSP CertID hash kinds with a GOST issuer: pre-signed sets, kept answers (lookup, refresh,
# revocation, bound and eviction) (ca/ocsp_table.c, ocsp_answer.c).
pechat_unit_test(test_ca_ocsp_kept pechat_ca_fixture)
set_tests_properties(test_ca_ocsp_kept PROPERTIES TIMEOUT 120)
# The OCSP warm-up after start: ready before any answer is signed, stored answers served during
# warm-up, revocations during warm-up, batched ocsp_cache writes (ca/ocsp_warm.c).
pechat_unit_test(test_ca_ocsp_warm pechat_ca_fixture)
set_tests_properties(test_ca_ocsp_warm PROPERTIES TIMEOUT 120)
# OCSP answers owed after a status change: none signed on the calling thread, the re-signer signs
# them, an owed serial answered on demand with the rate limit spent, a change while re-signing,
# the owed set's cap (ca/ocsp_owed.c).
pechat_unit_test(test_ca_ocsp_owed pechat_ca_fixture)
set_tests_properties(test_ca_ocsp_owed PROPERTIES TIMEOUT 120)
