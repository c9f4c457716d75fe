# Subscriber-only revocation API, the key ceremony and issuer standing (ca/revoke.c, ca/ceremony.c, ca/standing.c).
pechat_unit_test(test_ca_standing pechat_ca_fixture)
